import { LRUCache } from 'lru-cache';

/**
 * Remembers the answers of `compute`, a pure function of a short text, for the
 * `maxEntries` texts asked about most recently (least recently used go first; `lru-cache`).
 * Texts longer than `maxTextLength` characters are computed every time and never kept, so
 * hostile input cannot fill memory with long keys. For parsing that webhooks repeat: the
 * same tenant numbers and the same customers come back all day.
 */
export function memoiseByText<V extends NonNullable<unknown>>(
  compute: (text: string) => V,
  { maxEntries, maxTextLength }: { maxEntries: number; maxTextLength: number },
): (text: string) => V {
  const kept = new LRUCache<string, V>({ max: maxEntries });
  return (text) => {
    if (text.length > maxTextLength) return compute(text);
    let value = kept.get(text);
    if (value === undefined) {
      value = compute(text);
      kept.set(text, value);
    }
    return value;
  };
}
