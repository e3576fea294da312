// The entry the Pulumi CLI loads. It starts a Node.js policy pack with require() from
// @pulumi/pulumi/cmd/run-policy-pack, which registers ts-node for CommonJS only, and shadowcast is
// an ES module package ("type": "module"), so requiring index.ts fails with ERR_REQUIRE_ESM. This
// file registers ts-node's ES module hooks (as the Pulumi program's own runner does) and imports
// index.ts; run-policy-pack awaits the promise it exports.
/* global require, module, __filename -- CommonJS, as the CLI loads it */
/* eslint-disable @typescript-eslint/no-require-imports */
const { register } = require('node:module');
const { pathToFileURL } = require('node:url');

register('ts-node/esm', pathToFileURL(__filename));

module.exports = import('./index.ts');
