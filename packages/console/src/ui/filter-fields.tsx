/**
 * The filters the People list and the login history share: a WeChat app and a scenario, each with "any" first. `onChange` gets the event, as the pages' `set(name)` takes it.
 */
import type { ChangeEvent, ReactNode } from 'react';
import { useT } from '../i18n/index.ts';
import { SCENARIOS } from '../schemas.ts';
import { SelectField } from './field.tsx';

interface FilterProps {
  label: string;
  value: string;
  onChange: (event: ChangeEvent<HTMLSelectElement>) => void;
}

/** `connections`: the WeChat apps to choose from (the page loads them; empty while loading). */
export function AppFilter({
  label,
  value,
  onChange,
  connections,
}: FilterProps & { connections: readonly { id: string; name: string; appid: string }[] }): ReactNode {
  const t = useT();
  return (
    <SelectField label={label} value={value} onChange={onChange}>
      <option value="">{t('people.filter.any')}</option>
      {connections.map((connection) => (
        <option key={connection.id} value={connection.appid}>
          {connection.name} ({connection.appid})
        </option>
      ))}
    </SelectField>
  );
}

export function ScenarioFilter({ label, value, onChange }: FilterProps): ReactNode {
  const t = useT();
  return (
    <SelectField label={label} value={value} onChange={onChange}>
      <option value="">{t('people.filter.any')}</option>
      {SCENARIOS.map((scenario) => (
        <option key={scenario} value={scenario}>
          {t(`scenario.${scenario}`)}
        </option>
      ))}
    </SelectField>
  );
}
