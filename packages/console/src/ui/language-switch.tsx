import type { ReactNode } from 'react';
import { LANGUAGE_NAMES, LANGUAGES, useI18n } from '../i18n/index.ts';

/** English / 简体中文, each named in its own language; the choice is saved for next time. */
export function LanguageSwitch(): ReactNode {
  const { language, setLanguage, t } = useI18n();
  return (
    <label className="language-switch">
      <span className="visually-hidden">{t('shell.language')}</span>
      <select
        value={language}
        onChange={(event) => {
          const next = LANGUAGES.find((candidate) => candidate === event.target.value);
          if (next) setLanguage(next);
        }}
      >
        {LANGUAGES.map((candidate) => (
          <option key={candidate} value={candidate} lang={candidate}>
            {LANGUAGE_NAMES[candidate]}
          </option>
        ))}
      </select>
    </label>
  );
}
