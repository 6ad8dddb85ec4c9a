// Compiles every contract in src/ with @ton/tolk-js and writes build/<name>.json
// ({ name, codeBoc64, codeHashHex, tolkVersion }) plus build/<name>.fif.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTolkCompiler, getTolkCompilerVersion } from '@ton/tolk-js';

const here = path.dirname(fileURLToPath(import.meta.url));
const srcDir = path.join(here, '..', 'src');
const buildDir = path.join(here, '..', 'build');

export const CONTRACTS = ['root', 'proxy', 'client', 'worker'];

export async function compileAll({ quiet = false } = {}) {
    fs.mkdirSync(buildDir, { recursive: true });
    const version = await getTolkCompilerVersion();
    const out = {};
    for (const name of CONTRACTS) {
        const res = await runTolkCompiler({
            entrypointFileName: `${name}.tolk`,
            fsReadCallback: (p) => fs.readFileSync(path.join(srcDir, p), 'utf-8'),
        });
        if (res.status === 'error') {
            throw new Error(`tolk: ${name}.tolk failed to compile:\n${res.message}`);
        }
        if (res.stderr && res.stderr.trim()) process.stderr.write(res.stderr);
        const json = { name, codeBoc64: res.codeBoc64, codeHashHex: res.codeHashHex, tolkVersion: res.tolkVersion };
        fs.writeFileSync(path.join(buildDir, `${name}.json`), JSON.stringify(json, null, 2) + '\n');
        fs.writeFileSync(path.join(buildDir, `${name}.fif`), res.fiftCode);
        out[name] = json;
        if (!quiet) console.log(`compiled ${name}.tolk (tolk ${version}) code hash ${res.codeHashHex}`);
    }
    return out;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
    compileAll().catch((e) => {
        console.error(e.message || e);
        process.exit(1);
    });
}
