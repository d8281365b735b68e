// A Node.js host that changes process.env around loading an addon that links the demo library
// (tests/hosts/node/env_addon.c), as tests/hosts/env_around_load.c does in C: Node's
// process.env assignments call setenv, so glibc's environ is its own heap array at the load and
// is realloc'ed (the old array freed) by the 3000 new names after it.
// Usage: node env_around_load.js ADDON. Prints key=value lines.
'use strict';
const addonPath = process.argv[2];
process.env.RT0_ENV_LOADTIME = 'before';
process.env.RT0_ENV_PUT = 'put-before';
console.log(`env_count_at_load=${Object.keys(process.env).length}`);
const addon = { exports: {} };
process.dlopen(addon, addonPath);
for (let i = 0; i < 3000; i++) process.env[`RT0_ENV_NEW_${i}`] = 'x';
process.env.RT0_ENV_LOADTIME = 'changed';
process.env.RT0_ENV_PUT = 'put-after';
console.log(`host_sees_loadtime=${process.env.RT0_ENV_LOADTIME}`);
const show = (v) => (v === null ? '(null)' : v);
const a = addon.exports;
console.log(`init_watched=${show(a.initWatched())}`);
console.log(`init_env_count=${a.initEnvCount()}`);
for (const [key, name] of [['loadtime', 'RT0_ENV_LOADTIME'], ['put', 'RT0_ENV_PUT'],
  ['new_0', 'RT0_ENV_NEW_0'], ['new_2999', 'RT0_ENV_NEW_2999']]) {
  console.log(`kept_${key}=${show(a.env(name))}`);
}
console.log('host_alive=1');
