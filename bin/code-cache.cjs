// Load dist/main.cjs through a V8 code cache, so a run does not parse and compile the whole bundle again (Node 20 has
// no compile cache of its own; Node 22.1+ has module.enableCompileCache(), which bin/stackscale.js turns on, and then
// the bundle is simply required). The cache is made after a command has run, so it holds the functions that command
// compiled too; one cache per command (plan, apply, validate, ...), for this bundle (size and mtime) and this Node.
// It lives in a directory of the user's own (mode 0700) under the temp dir, like Node's; a directory or file that is
// not the user's, or writable by others, is never read (cached code is code). STACKSCALE_CODE_CACHE=off disables it,
// STACKSCALE_CODE_CACHE=<dir> puts it elsewhere. Every failure falls back to compiling, silently.
'use strict';
const fs = require('node:fs');
const Module = require('node:module');
const os = require('node:os');
const path = require('node:path');
const vm = require('node:vm');

function cacheDir() {
  const setting = process.env.STACKSCALE_CODE_CACHE;
  if (setting === 'off') return undefined;
  return setting || path.join(os.tmpdir(), `stackscale-code-cache-${process.getuid ? process.getuid() : 'user'}`);
}

/** Owned by this user and writable by nobody else; not a symlink. */
function private_(file) {
  try {
    const st = fs.lstatSync(file);
    return (!process.getuid || st.uid === process.getuid()) && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/**
 * The bundle's exports, and `save()` to call once the command is done: it writes the cache when there was none or V8
 * refused it (another Node, another bundle).
 */
function load(file, command) {
  const dir = cacheDir();
  if (Module.enableCompileCache || !dir) return { exports: require(file), save() {} };
  const source = fs.readFileSync(file, 'utf8');
  const st = fs.statSync(file);
  const name = `${command.replace(/[^a-z-]/g, '') || 'none'}-${st.size}-${Math.floor(st.mtimeMs)}-${process.version}-${process.arch}.bin`;
  const cacheFile = path.join(dir, name);
  let cached;
  if (private_(dir) && private_(cacheFile)) {
    try {
      cached = fs.readFileSync(cacheFile);
    } catch {
      cached = undefined;
    }
  }
  // No importModuleDynamically: code from a cache loses it on Node 20, so the bundle has no import() (scripts/bundle.mjs).
  const script = new vm.Script(Module.wrap(source), { filename: file, cachedData: cached });
  const mod = { exports: {}, filename: file, id: file, loaded: false };
  script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(file), mod, file, path.dirname(file));
  mod.loaded = true;
  return {
    exports: mod.exports,
    save() {
      if (cached && !script.cachedDataRejected) return;
      try {
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        if (!private_(dir)) return;
        const tmp = `${cacheFile}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
        fs.renameSync(tmp, cacheFile);
      } catch {
        // A cache that cannot be written costs the next run its compile time, nothing else.
      }
    },
  };
}

module.exports = { load };
