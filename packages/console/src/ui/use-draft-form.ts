import { type FormEvent, useState } from 'react';
import { useErrorMessage } from './errors.ts';

/**
 * The state an edit form keeps: its draft, whether to show its errors (from the first submit on),
 * and whether a save is running or failed. `submit(errors, save)` handles the form's submit event:
 * it shows the errors and stops while there are any, else runs `save` as busy and turns a failure
 * into `saveError`'s message.
 */
export function useDraftForm<D extends object>(initial: () => D) {
  const errorMessage = useErrorMessage();
  const [draft, setDraft] = useState<D>(initial);
  const [showErrors, setShowErrors] = useState(false);
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<string | null>(null);
  const set = <K extends keyof D>(key: K, value: D[K]) => setDraft((current) => ({ ...current, [key]: value }));
  const submit = (errors: object, save: () => Promise<void>) => async (event: FormEvent) => {
    event.preventDefault();
    setShowErrors(true);
    setSaveError(null);
    if (Object.keys(errors).length > 0) return;
    setSaving(true);
    try {
      await save();
    } catch (caught) {
      setSaveError(errorMessage(caught));
    } finally {
      setSaving(false);
    }
  };
  return { draft, setDraft, set, showErrors, setShowErrors, saving, saveError, submit };
}
