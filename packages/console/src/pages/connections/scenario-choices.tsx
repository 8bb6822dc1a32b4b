import type { ReactNode } from 'react';
import { useT } from '../../i18n/index.ts';
import { CheckboxField } from '../../ui/field.tsx';
import type { Scenario } from './model.ts';

/**
 * Which of the `offered` scenarios a connection or an application serves: one checkbox each with
 * its explanation (and `note`, if any, after it); the chosen ones are kept in `offered`'s order.
 */
export function ScenarioChoices({
  legend,
  hint,
  offered,
  value,
  onChange,
  error,
  note,
}: {
  legend: ReactNode;
  hint?: ReactNode;
  offered: readonly Scenario[];
  value: readonly Scenario[];
  onChange: (next: Scenario[]) => void;
  error: string | undefined;
  note?: (scenario: Scenario) => string;
}): ReactNode {
  const t = useT();
  return (
    <fieldset className="choices">
      <legend>{legend}</legend>
      {hint ? <p className="field-hint">{hint}</p> : null}
      {offered.map((scenario) => (
        <CheckboxField
          key={scenario}
          label={t(`scenario.${scenario}`)}
          hint={`${t(`scenarioHelp.${scenario}`)}${note?.(scenario) ?? ''}`}
          checked={value.includes(scenario)}
          onChange={(checked) => onChange(offered.filter((s) => (s === scenario ? checked : value.includes(s))))}
        />
      ))}
      {error ? <p className="field-error">{error}</p> : null}
    </fieldset>
  );
}
