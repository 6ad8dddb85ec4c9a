#!/usr/bin/env node
// chrysalis devnet: node src/main.mjs [--config FILE] [--port N] [--host H] [--snapshot FILE] [--reset]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Devnet } from './devnet.mjs';
import { createServer } from './server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, def) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : def;
};
const configFile = opt('config', path.join(here, '..', 'config.json'));
const config = JSON.parse(fs.readFileSync(configFile, 'utf-8'));
const host = opt('host', config.host ?? '127.0.0.1');
const port = Number(opt('port', config.port ?? 8091));
const snapshot = opt('snapshot', config.snapshot ? path.resolve(path.dirname(configFile), config.snapshot) : undefined);

const net = await Devnet.open(config, { snapshotFile: snapshot, reset: args.includes('--reset') });
const server = createServer(net);
server.listen(port, host, () => {
    const addr = server.address();
    console.log(JSON.stringify({ event: 'listening', endpoint: `http://${addr.address}:${addr.port}/api/v2/jsonRPC`, root: net.meta.root, snapshot }));
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
