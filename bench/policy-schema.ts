// `npm run policy-schema`: writes policies/policy.schema.json from the zod schema of policy
// files, for editors. Run it after changing src/policy/schema.ts; a test fails while it is stale.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { policyJsonSchema } from './json-schema.js';
import { repoRoot } from './common.js';

const out = join(repoRoot(), 'policies', 'policy.schema.json');
writeFileSync(out, `${JSON.stringify(policyJsonSchema(), null, 2)}\n`);
process.stderr.write(`wrote ${out}\n`);
