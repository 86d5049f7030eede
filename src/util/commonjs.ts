// A CommonJS package (undici, pg) loaded with import(). Node's own loader gives its exports as
// named exports and as `default`; in the split bundle (src/build/bundle.ts) such a chunk has only
// `default`. Both mean module.exports, so read that: `commonJs(await import('undici')).request`.

export function commonJs<T extends object>(namespace: T): T {
  return (namespace as { default?: T }).default ?? namespace;
}
