import { type ComponentProps, type ReactNode, useId } from 'react';

interface FieldFrame {
  label: ReactNode;
  /** One line under the field explaining it (where to find the value, what it does). */
  hint?: ReactNode;
  /** Shown in red under the field and tied to it with `aria-describedby` / `aria-invalid`. */
  error?: string | null | undefined;
}

/** The `aria-*` props that tie a control to its hint and error lines in `FieldShell`. */
export function describedProps(id: string, { hint, error }: Pick<FieldFrame, 'hint' | 'error'>) {
  const describedBy = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(' ') || undefined;
  return { 'aria-describedby': describedBy, 'aria-invalid': error ? true : undefined } as const;
}

/**
 * The frame every labelled field shares: the label for the control with id `id`, the control, its
 * hint and its error. For a control of its own (several inputs in a row, say), pass `describedProps`
 * to the one the label names.
 */
export function FieldShell({
  id,
  label,
  hint,
  error,
  className,
  children,
}: FieldFrame & { id: string; className?: string | undefined; children: ReactNode }): ReactNode {
  return (
    <div className={['field', className].filter(Boolean).join(' ')}>
      <label htmlFor={id}>{label}</label>
      {children}
      {hint ? (
        <p className="field-hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      {error ? (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      ) : null}
    </div>
  );
}

type FieldProps = FieldFrame & Omit<ComponentProps<'input'>, 'id'>;

/** A labelled input with its hint and error announced with it. */
export function Field({ label, hint, error, className, ...input }: FieldProps): ReactNode {
  const id = useId();
  return (
    <FieldShell id={id} label={label} hint={hint} error={error} className={className}>
      <input id={id} {...describedProps(id, { hint, error })} {...input} />
    </FieldShell>
  );
}

type SelectFieldProps = FieldFrame & Omit<ComponentProps<'select'>, 'id'> & { children: ReactNode };

export function SelectField({ label, hint, error, className, children, ...select }: SelectFieldProps): ReactNode {
  const id = useId();
  return (
    <FieldShell id={id} label={label} hint={hint} error={error} className={className}>
      <select id={id} {...describedProps(id, { hint, error })} {...select}>
        {children}
      </select>
    </FieldShell>
  );
}

type TextAreaFieldProps = FieldFrame & Omit<ComponentProps<'textarea'>, 'id'> & { textAreaClassName?: string };

/** A labelled textarea; `className` goes on the field (as with `Field`), `textAreaClassName` on the textarea. */
export function TextAreaField({ label, hint, error, className, textAreaClassName, ...textarea }: TextAreaFieldProps): ReactNode {
  const id = useId();
  return (
    <FieldShell id={id} label={label} hint={hint} error={error} className={className}>
      <textarea id={id} className={textAreaClassName} {...describedProps(id, { hint, error })} {...textarea} />
    </FieldShell>
  );
}

/** A checkbox with its label and a hint line under it (the hint is its description). */
export function CheckboxField({
  label,
  hint,
  checked,
  onChange,
}: {
  label: ReactNode;
  hint: ReactNode;
  checked: boolean;
  onChange: (checked: boolean) => void;
}): ReactNode {
  const id = useId();
  return (
    <div className="choice">
      <input
        id={id}
        type="checkbox"
        checked={checked}
        onChange={(event) => onChange(event.target.checked)}
        aria-describedby={`${id}-help`}
      />
      <label htmlFor={id}>{label}</label>
      <p className="field-hint" id={`${id}-help`}>
        {hint}
      </p>
    </div>
  );
}
