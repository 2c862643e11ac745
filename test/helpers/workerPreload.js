/**
 * Loaded by mocha (.mocharc.json `require`) before tsx, in every process it starts. In a parallel
 * run's worker processes (mocha sets MOCHA_WORKER_ID: node_modules/mocha/lib/nodejs/buffered-worker-pool.cjs,
 * `env: { ...process.env, MOCHA_WORKER_ID: counter++ }`) it loads @pulumi/pulumi first, before tsx's
 * require hook and Node's source maps are on:
 * - tsx's hook looks at every .js file a require loads for ESM syntax (register `isESM`,
 *   node_modules/tsx/dist/register-B1c7OH6V.cjs), and its register turns source maps on
 *   (`process.setSourceMapsEnabled(true)`, same file);
 * - with source maps on, Node reads and parses the .map file of every module loaded after that
 *   ("Only source maps in JavaScript files that are loaded after source maps has been enabled will be
 *   parsed and loaded", https://nodejs.org/docs/latest-v20.x/api/process.html#processsetsourcemapsenabledval),
 *   and maps every stack frame of a stack Pulumi captures for each of its promises
 *   (node_modules/@pulumi/pulumi/runtime/debuggable.js, `new Error().stack`).
 * The same module, loaded here without either: 0.8-1.0 s less CPU per worker (four spec files that run
 * the program, in one process with MOCHA_WORKER_ID set, alternately with and without this: 13.3-14.4 s
 * against 14.6-15.6 s). Stacks through our TypeScript stay mapped; only Pulumi's own frames show its
 * JavaScript. A single-process run (`npx mocha FILE`) loads nothing here.
 */
"use strict";
if (process.env.MOCHA_WORKER_ID !== undefined) require("@pulumi/pulumi");
