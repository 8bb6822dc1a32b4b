import type { ReactNode } from 'react';
import { useT } from '../../i18n/index.ts';
import type { Scenario } from './model.ts';

/** The scenarios a connection or an application serves, as short badges (S1…S7) named in full in their tooltip. */
export function ScenarioBadges({ scenarios }: { scenarios: readonly Scenario[] }): ReactNode {
  const t = useT();
  return (
    <span className="row">
      {scenarios.map((scenario) => (
        <span key={scenario} className="badge" title={t(`scenario.${scenario}`)}>
          {scenario.toUpperCase()}
        </span>
      ))}
    </span>
  );
}
