// A paid network on a local devnet for the billing attacks: the real contracts in the TVM
// emulator, a proxy, a worker on the mock engine and a client, each with its own funded wallet.
import path from "node:path";
import {BIN, Cluster, MODEL, run, waitFor} from "../../integration/lib/harness.mjs";
import {startMockEngine} from "../../integration/lib/mock_engine.mjs";
import {startStaleChainRelay} from "./stale_chain_relay.mjs";

export const PRICE = 2n, FEE = 1n;  // devnet/config.json: nanoTON per adjusted token (client price, worker fee)
export const NANO = 10n ** 9n;

// {proxy, worker, client} are extra settings for each node's [billing] section; `staleRelay`: the
// proxy reaches the chain through a relay that can serve it a stale view (net.relay); `register`
// false: the root does not list the proxy (and nothing waits for the client to be ready);
// `proxyKeyOnDisk`: the proxy runs outside a TEE (provider "none", its key in a plaintext key.pem a
// rogue server can take) and the worker and client accept a proxy without a quote.
export async function startBillingNetwork(label, {proxy = {}, worker = {}, client = {}, staleRelay = false,
    register = true, proxyKeyOnDisk = false} = {}) {
    const mock = await startMockEngine();
    const cluster = new Cluster(label);
    const a = cluster.attestation();
    const workerImages = [a.workerImage];
    // A worker accepting a proxy without a quote measures allow_none: another image.
    if (proxyKeyOnDisk)
        workerImages.push(run(BIN, ["attest", "image-hash", "--role", "worker", "--config",
            cluster.write("worker-allow-none-probe.toml", a.base + "allow_none = true\n")]).trim());
    const devnet = await cluster.startDevnet({
        proxyImageHashes: [a.proxyImage],
        workerImageHashes: workerImages,
        modelHashes: [cluster.modelHash(MODEL)],
    });
    const wallets = {
        proxy: await cluster.fundedWallet("proxy", "20"),
        worker: await cluster.fundedWallet("worker", "5"),
        client: await cluster.fundedWallet("client", "20"),
    };
    const net = {cluster, mock, devnet, wallets};
    if (staleRelay) {
        net.relay = await startStaleChainRelay(devnet.endpoint);
        // A proxy reading the chain through the relay measures the relay's endpoint: another image,
        // which the root's owner allows.
        const ownerKey = path.join(cluster.dir, "root-owner.wallet.json");
        run(BIN, ["wallet", "new", "--out", ownerKey, "--devnet-name", "root-owner"]);
        run(BIN, ["ton", "root", "allow", "--key", ownerKey, "--endpoint", devnet.endpoint, "--address", devnet.root,
            "--list", "proxy-image", "--hash", cluster.registryProxyImage(net.relay.endpoint)]);
    }
    const outsideTee = proxyKeyOnDisk ? {provider: "none", dev_ca: null} : {};
    const acceptsNoQuote = proxyKeyOnDisk ? {allow_none: true} : {};
    net.proxy = await cluster.startProxy({id: "proxy", registry: net.relay ? {endpoint: net.relay.endpoint} : {}, register,
        attestation: outsideTee,
        billing: {wallet: wallets.proxy, commit_interval_ms: 400, client_refresh_s: 1, ...proxy}});
    net.worker = await cluster.startWorker({id: "worker", proxies: [net.proxy], engine: {kind: "external", url: mock.url},
        attestation: acceptsNoQuote,
        billing: {wallet: wallets.worker, ...worker}});
    net.client = await cluster.startClient({id: "client", proxies: [net.proxy], attestation: acceptsNoQuote,
        billing: {wallet: wallets.client, deposit_ton: "2", stake_ton: "1", topup_below_ton: "0.5", ...client}});
    net.stop = async () => {
        await cluster.stop();
        await mock.close();
        await net.relay?.close();
    };
    if (!register) return net;
    await cluster.waitForWorkers(net.client, 1, {timeoutMs: 90_000});
    await waitFor(async () => (await net.client.stats()).billing.accounts.find((x) => x.ready),
        {timeoutMs: 90_000, what: "the client contract funded and seen by the proxy", logs: () => cluster.logs()});
    return net;
}

export const chat = (content, extra = {}) => ({model: MODEL, messages: [{role: "user", content}], max_tokens: 8, ...extra});
