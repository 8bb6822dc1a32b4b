import { type ComponentProps, type ReactNode, useId } from 'react';

interface FieldFrame {
  label: ReactNode;
  /** One line under the field explaining it (where to find the value, what it does). */
  hint?: ReactNode;
  /** Shown in red under the field and tied to it with `aria-describedby` / `aria-invalid`. */
  error?: string | null | undefined;
}

type FieldProps = FieldFrame & Omit<ComponentProps<'input'>, 'id'>;

/** A labelled input with its hint and error announced with it. */
export function Field({ label, hint, error, className, ...input }: FieldProps): ReactNode {
  const id = useId();
  const describedBy = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(' ') || undefined;
  return (
    <div className={['field', className].filter(Boolean).join(' ')}>
      <label htmlFor={id}>{label}</label>
      <input id={id} aria-describedby={describedBy} aria-invalid={error ? true : undefined} {...input} />
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

type SelectFieldProps = FieldFrame & Omit<ComponentProps<'select'>, 'id'> & { children: ReactNode };

export function SelectField({ label, hint, error, className, children, ...select }: SelectFieldProps): ReactNode {
  const id = useId();
  const describedBy = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(' ') || undefined;
  return (
    <div className={['field', className].filter(Boolean).join(' ')}>
      <label htmlFor={id}>{label}</label>
      <select id={id} aria-describedby={describedBy} aria-invalid={error ? true : undefined} {...select}>
        {children}
      </select>
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
