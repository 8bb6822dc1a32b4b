/**
 * `useT()` / `t(key, vars)` in English and Simplified Chinese. Each area keeps its words in its own
 * dictionary file (`defineDictionary({ en, 'zh-CN' })`); add it to `dictionaries` below and its keys
 * become valid arguments of `t` (a missing or misspelled key is a type error).
 */
import { createContext, createElement, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { account } from './account.ts';
import { apiKeys } from './api-keys.ts';
import { applications } from './applications.ts';
import { audit } from './audit.ts';
import { common } from './common.ts';
import { connections } from './connections.ts';
import type { Message, Vars } from './dictionary.ts';
import { errors } from './errors.ts';
import { imports } from './imports.ts';
import { merges } from './merges.ts';
import { overview } from './overview.ts';
import { people } from './people.ts';
import { sandbox } from './sandbox.ts';
import { signIn } from './sign-in.ts';
import { webOrigins } from './web-origins.ts';
import { webhooks } from './webhooks.ts';
import { words } from './words.ts';

export { defineDictionary } from './dictionary.ts';

const dictionaries = [
  common,
  errors,
  signIn,
  people,
  imports,
  audit,
  overview,
  merges,
  connections,
  applications,
  apiKeys,
  webhooks,
  sandbox,
  account,
  webOrigins,
  words,
] as const;

type AnyDictionary = (typeof dictionaries)[number];
export type MessageKey = AnyDictionary extends infer D ? (D extends { en: infer E } ? keyof E & string : never) : never;

export const LANGUAGES = ['en', 'zh-CN'] as const;
export type Language = (typeof LANGUAGES)[number];
export const LANGUAGE_NAMES: Record<Language, string> = { en: 'English', 'zh-CN': '简体中文' };

const merged: Record<Language, Map<string, Message>> = { en: new Map(), 'zh-CN': new Map() };
for (const dictionary of dictionaries) {
  for (const language of LANGUAGES) {
    for (const [key, message] of Object.entries<Message>(dictionary[language])) merged[language].set(key, message);
  }
}

const STORAGE_KEY = 'weunion.console.language';

function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

/** `?lang=en` (tests, shared links), then the saved choice, then the browser's language. */
export function initialLanguage(): Language {
  const fromUrl = new URLSearchParams(window.location.search).get('lang');
  if (isLanguage(fromUrl)) {
    saveLanguage(fromUrl);
    return fromUrl;
  }
  try {
    const saved = window.localStorage.getItem(STORAGE_KEY);
    if (isLanguage(saved)) return saved;
  } catch {
    // Storage can be off (private mode, policy): fall back to the browser's language.
  }
  return navigator.language.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

function saveLanguage(language: Language): void {
  try {
    window.localStorage.setItem(STORAGE_KEY, language);
  } catch {
    // Not saved: the choice lasts for this page only.
  }
}

export type Translate = (key: MessageKey, vars?: Vars) => string;

export function translate(language: Language, key: MessageKey, vars: Vars = {}): string {
  const message = merged[language].get(key) ?? merged.en.get(key);
  if (message === undefined) return key;
  return typeof message === 'function' ? message(vars) : message.replace(/\{(\w+)\}/g, (all, name: string) => String(vars[name] ?? all));
}

/** Whether a key exists (for codes coming from the server, e.g. `error.<code>`). */
export function hasMessage(key: string): key is MessageKey {
  return merged.en.has(key);
}

interface I18nValue {
  language: Language;
  setLanguage: (language: Language) => void;
  t: Translate;
  /** Dates and numbers in the chosen language. */
  formatDate: (ms: number) => string;
  formatDateTime: (ms: number) => string;
  formatNumber: (n: number) => string;
}

const I18nContext = createContext<I18nValue | null>(null);

export function I18nProvider({ children }: { children: ReactNode }): ReactNode {
  const [language, setLanguageState] = useState<Language>(initialLanguage);
  useEffect(() => {
    document.documentElement.lang = language;
  }, [language]);
  const setLanguage = useCallback((next: Language) => {
    saveLanguage(next);
    setLanguageState(next);
  }, []);
  const value = useMemo<I18nValue>(() => {
    const date = new Intl.DateTimeFormat(language, { dateStyle: 'medium' });
    const dateTime = new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeStyle: 'short' });
    const number = new Intl.NumberFormat(language);
    return {
      language,
      setLanguage,
      t: (key, vars) => translate(language, key, vars),
      formatDate: (ms) => date.format(ms),
      formatDateTime: (ms) => dateTime.format(ms),
      formatNumber: (n) => number.format(n),
    };
  }, [language, setLanguage]);
  return createElement(I18nContext.Provider, { value }, children);
}

export function useI18n(): I18nValue {
  const value = useContext(I18nContext);
  if (value === null) throw new Error('useI18n outside <I18nProvider>');
  return value;
}

export function useT(): Translate {
  return useI18n().t;
}
