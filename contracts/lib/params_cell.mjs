// The params cell (layout in contracts/README.md), shared by the contract wrappers and the devnet.
// No imports: each package passes its own @ton/core builder or slice, so one copy of @ton/core
// serves each package.

export const PARAM_FIELDS = [
    'paramsVersion', 'pricePerToken', 'workerFeePerToken', 'promptMult', 'cachedMult', 'completionMult',
    'reasoningMult', 'proxyDelayBeforeClose', 'clientDelayBeforeClose', 'minProxyStake', 'minClientStake',
];

/**
 * Writes the params into a builder: `beginCell().store(storeParams(p)).endCell()`.
 * paramsVersion defaults to 0: the root numbers versions itself on ChangeParams and SetCodes,
 * and a deployment names its first version (devnet/config.json: 1).
 */
export function storeParams(p) {
    return (b) => b
        .storeUint(p.paramsVersion ?? 0, 32)
        .storeCoins(BigInt(p.pricePerToken))
        .storeCoins(BigInt(p.workerFeePerToken))
        .storeUint(p.promptMult ?? 10000, 32)
        .storeUint(p.cachedMult ?? 10000, 32)
        .storeUint(p.completionMult ?? 10000, 32)
        .storeUint(p.reasoningMult ?? 10000, 32)
        .storeUint(p.proxyDelayBeforeClose, 32)
        .storeUint(p.clientDelayBeforeClose, 32)
        .storeCoins(BigInt(p.minProxyStake))
        .storeCoins(BigInt(p.minClientStake));
}

/** Reads the params from a slice positioned at their start. */
export function loadParams(s) {
    return {
        paramsVersion: s.loadUint(32),
        pricePerToken: s.loadCoins(),
        workerFeePerToken: s.loadCoins(),
        promptMult: s.loadUint(32),
        cachedMult: s.loadUint(32),
        completionMult: s.loadUint(32),
        reasoningMult: s.loadUint(32),
        proxyDelayBeforeClose: s.loadUint(32),
        clientDelayBeforeClose: s.loadUint(32),
        minProxyStake: s.loadCoins(),
        minClientStake: s.loadCoins(),
    };
}
