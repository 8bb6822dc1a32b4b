/**
 * The identity policy as plain-language choices. Connections edit a whole policy; applications
 * override single fields, so with `inherit` every choice gains "Same as the WeChat app" (unset).
 */
import type { ReactNode } from 'react';
import { type MessageKey, useT } from '../../i18n/index.ts';
import { SelectField } from '../../ui/field.tsx';
import { BINDING_METHODS, type FieldMatching, type Policy } from './model.ts';

export type PolicyOverride = Partial<Policy>;

const INHERIT = '';

function matchingToChoice(value: FieldMatching): 'none' | 'phone' | 'phoneEmail' {
  if (value.length === 0) return 'none';
  return value.length === 1 ? 'phone' : 'phoneEmail';
}

function choiceToMatching(choice: string): FieldMatching {
  if (choice === 'phone') return ['phone'];
  if (choice === 'phoneEmail') return ['phone', 'email'];
  return [];
}

interface PolicyFieldsProps {
  value: PolicyOverride;
  onChange: (next: PolicyOverride) => void;
  /** Applications: every field may be left unset ("Same as the WeChat app"). */
  inherit?: boolean;
}

export function PolicyFields({ value, onChange, inherit = false }: PolicyFieldsProps): ReactNode {
  const t = useT();
  const set = <K extends keyof Policy>(key: K, next: Policy[K] | undefined) => {
    const copy: PolicyOverride = { ...value };
    if (next === undefined) delete copy[key];
    else copy[key] = next;
    onChange(copy);
  };
  const inheritOption = inherit ? <option value={INHERIT}>{t('applications.policy.inherit')}</option> : null;
  const select = <K extends 'registration' | 'queryBinding' | 'onMultipleMatches'>(key: K, options: readonly Policy[K][]): ReactNode => (
    <SelectField
      label={t(`policy.${key}`)}
      hint={t(`policy.${key}.help`)}
      value={value[key] ?? INHERIT}
      onChange={(event) => {
        const chosen = options.find((option) => option === event.target.value);
        set(key, chosen);
      }}
    >
      {inheritOption}
      {options.map((option) => (
        <option key={option} value={option}>
          {t(`policy.${key}.${option}` as MessageKey)}
        </option>
      ))}
    </SelectField>
  );
  const methods = value.bindingMethods;
  const bindingRelevant = inherit || (value.queryBinding ?? 'off') !== 'off';
  return (
    <div className="form-section">
      {select('registration', ['allow', 'deny'])}
      <SelectField
        label={t('policy.fieldMatching')}
        hint={t('policy.fieldMatching.help')}
        value={value.fieldMatching === undefined ? INHERIT : matchingToChoice(value.fieldMatching)}
        onChange={(event) => set('fieldMatching', event.target.value === INHERIT ? undefined : choiceToMatching(event.target.value))}
      >
        {inheritOption}
        <option value="none">{t('policy.fieldMatching.none')}</option>
        <option value="phone">{t('policy.fieldMatching.phone')}</option>
        <option value="phoneEmail">{t('policy.fieldMatching.phoneEmail')}</option>
      </SelectField>
      {select('queryBinding', ['off', 'offer', 'require'])}
      {bindingRelevant ? (
        <fieldset className="choices">
          <legend>{t('policy.bindingMethods')}</legend>
          <p className="field-hint">{t('policy.bindingMethods.help')}</p>
          {inherit ? (
            <label className="choice">
              <input
                type="checkbox"
                checked={methods === undefined}
                onChange={(event) => set('bindingMethods', event.target.checked ? undefined : ['password', 'sms'])}
              />
              <span>{t('applications.policy.inherit')}</span>
            </label>
          ) : null}
          {methods === undefined
            ? null
            : BINDING_METHODS.map((method) => (
                <label key={method} className="choice">
                  <input
                    type="checkbox"
                    checked={methods.includes(method)}
                    onChange={(event) => {
                      const next = event.target.checked ? [...methods, method] : methods.filter((m) => m !== method);
                      // At least one way to prove an account: the last one cannot be unticked.
                      if (next.length > 0)
                        set(
                          'bindingMethods',
                          BINDING_METHODS.filter((m) => next.includes(m)),
                        );
                    }}
                  />
                  <span>{t(`policy.bindingMethods.${method}`)}</span>
                </label>
              ))}
        </fieldset>
      ) : null}
      {select('onMultipleMatches', ['select', 'refuse'])}
      <SelectField
        label={t('policy.autoMergeOnUnionid')}
        hint={t('policy.autoMergeOnUnionid.help')}
        value={value.autoMergeOnUnionid === undefined ? INHERIT : String(value.autoMergeOnUnionid)}
        onChange={(event) => set('autoMergeOnUnionid', event.target.value === INHERIT ? undefined : event.target.value === 'true')}
      >
        {inheritOption}
        <option value="false">{t('policy.autoMergeOnUnionid.false')}</option>
        <option value="true">{t('policy.autoMergeOnUnionid.true')}</option>
      </SelectField>
    </div>
  );
}
