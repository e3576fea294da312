// The JSON Schema published as policies/policy.schema.json, generated from the zod schema so the
// two never drift (a test compares them). Editors that speak yaml-language-server validate and
// complete policy files from it; it describes what is written, so durations are strings, and
// each field carries its built-in default.

import { z } from 'zod';
import { BUILTIN_DEFAULTS, PolicyFileSchema } from '../src/policy/schema.js';

type JsonSchema = { properties?: Record<string, JsonSchema> } & Record<string, unknown>;

function addDefaults(schema: JsonSchema, defaults: object): void {
  for (const [key, value] of Object.entries(defaults)) {
    const property = schema.properties?.[key];
    if (!property) continue;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) addDefaults(property, value);
    else property.default = value;
  }
}

export function policyJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(PolicyFileSchema, { io: 'input', target: 'draft-7' }) as JsonSchema;
  addDefaults(schema, BUILTIN_DEFAULTS);
  return schema;
}
