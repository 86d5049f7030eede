// A pure function of one key, remembered: the console draws mostly the same lines, glyphs and
// widths every frame, so asking again costs a map lookup. Two generations bound the memory: when
// the newer fills, the older is dropped and what is still asked for moves up on its next use.

const DEFAULT_LIMIT = 4_096;

/** `fn` with its answers cached by key (a string, or an object held weakly). `fn` must be pure. */
export function memoize<K extends string, V>(fn: (key: K) => V, limit = DEFAULT_LIMIT): (key: K) => V {
  let young = new Map<K, V>();
  let old = new Map<K, V>();
  return (key) => {
    let value = young.get(key);
    if (value !== undefined || young.has(key)) return value as V;
    value = old.has(key) ? (old.get(key) as V) : fn(key);
    if (young.size >= limit) {
      old = young;
      young = new Map();
    }
    young.set(key, value);
    return value;
  };
}

/** `fn` with its answers cached for as long as the object it was asked about is alive. */
export function memoizeWeak<K extends object, V>(fn: (key: K) => V): (key: K) => V {
  const cache = new WeakMap<K, V>();
  return (key) => {
    if (cache.has(key)) return cache.get(key) as V;
    const value = fn(key);
    cache.set(key, value);
    return value;
  };
}
