/** The shape every dictionary file has; `zh-CN` must have exactly the keys `en` has. */
export type Vars = Record<string, string | number>;
export type Message = string | ((vars: Vars) => string);

export function defineDictionary<K extends string>(dictionary: {
  en: Record<K, Message>;
  'zh-CN': NoInfer<Record<K, Message>>;
}): { en: Record<K, Message>; 'zh-CN': Record<K, Message> } {
  return dictionary;
}
