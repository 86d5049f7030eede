import { describe, expect, it } from 'vitest';
import { render, unknownPlaceholders, type TemplateValues } from '../../src/profile/template.js';

const values = {
  'profile.name': 'checkout-v2',
  'phase.name': 'canary',
  'next.traffic': '50',
} as TemplateValues;

describe('action placeholders', () => {
  it('fills placeholders from profile and phase values', () => {
    expect(render(['flagctl', 'set', '{{profile.name}}', '{{ next.traffic }}'], values)).toEqual(['flagctl', 'set', 'checkout-v2', '50']);
  });

  it('keeps each argument one argument whatever a value contains', () => {
    const hostile = { ...values, 'phase.name': 'x; rm -rf / $(touch pwned)' } as TemplateValues;
    expect(render(['echo', 'phase={{phase.name}}'], hostile)).toEqual(['echo', 'phase=x; rm -rf / $(touch pwned)']);
  });

  it('names placeholders it does not know', () => {
    expect(unknownPlaceholders('{{phase.trafic}} {{next.traffic}} {{metric.value}}')).toEqual(['phase.trafic', 'metric.value']);
  });
});
