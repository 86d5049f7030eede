// Every source kind rollcall speaks, in the order the JSON Schema lists them. The profile schema's
// `sources:` union, the compiler's query and URL checks and the registry are all built from this
// list: a new kind is its own sources/<kind>.ts plus one line here.

import { exec } from './exec.js';
import { http } from './http.js';
import type { SourceKind } from './kind.js';
import { postgres } from './postgres.js';
import { prometheus } from './prometheus.js';
import { replay } from './replay.js';
import { scrape } from './scrape.js';

export const SOURCE_KINDS = [prometheus, postgres, http, scrape, exec, replay] as const;

export type SourceKindName = (typeof SOURCE_KINDS)[number]['kind'];

type ConfigsOf<T extends readonly unknown[]> = { -readonly [I in keyof T]: T[I] extends { config: infer S } ? S : never };
type Configs = ConfigsOf<typeof SOURCE_KINDS>;

/** The configs, as the tuple zod's discriminated union takes. */
export function sourceConfigs(): Configs {
  return SOURCE_KINDS.map((k) => k.config) as unknown as Configs;
}

/** The descriptor of a kind by name; every config that passed the schema has one. */
export function sourceKind(name: SourceKindName): AnySourceKind {
  const found = SOURCE_KINDS.find((k) => k.kind === name);
  if (!found) throw new Error(`no source kind "${name}"`);
  return found as unknown as AnySourceKind;
}

/** Any one of the kinds, seen through the parts they all share. */
export type AnySourceKind = SourceKind & { readonly kind: SourceKindName };
