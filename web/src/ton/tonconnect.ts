// Funding the client contract from the user's own wallet with TON Connect. This module and
// @tonconnect/ui are loaded only when the user asks (a chunk of their own), so the first load
// stays small. A deployment publishes its manifest at a public URL and builds with
// VITE_TONCONNECT_MANIFEST_URL; without it the bundled placeholder manifest is used, which real
// wallets will not accept — the demo funds the contract with the admin top-up instead.
import bundledManifest from "./tonconnect-manifest.json?url";
import { TOPUP_GAS_NANO, topUpPayload } from "./boc";

type Ui = import("@tonconnect/ui").TonConnectUI;
let ui: Ui | null = null;

function manifestUrl(): string {
  const configured = import.meta.env.VITE_TONCONNECT_MANIFEST_URL as string | undefined;
  return configured || new URL(bundledManifest, location.href).toString();
}

async function connected(): Promise<Ui> {
  if (!ui) {
    const { TonConnectUI } = await import("@tonconnect/ui");
    ui = new TonConnectUI({ manifestUrl: manifestUrl() });
    await ui.connectionRestored;
  }
  const u = ui;
  if (u.connected) return u;
  await new Promise<void>((resolve, reject) => {
    const offStatus = u.onStatusChange(
      (wallet) => {
        if (wallet) {
          offStatus();
          offModal();
          resolve();
        }
      },
      (err) => {
        offStatus();
        offModal();
        reject(err);
      },
    );
    const offModal = u.onModalStateChange((state) => {
      if (state.status === "closed" && !u.connected) {
        offStatus();
        offModal();
        reject(new Error("no wallet was connected"));
      }
    });
    u.openModal().catch(reject);
  });
  return u;
}

/** Sends a TopUp of `amountNano` to the client contract at `contract` from the user's wallet. */
export async function fundWithTonConnect(contract: string, amountNano: bigint): Promise<void> {
  const u = await connected();
  await u.sendTransaction({
    validUntil: Math.floor(Date.now() / 1000) + 300,
    messages: [{ address: contract, amount: (amountNano + TOPUP_GAS_NANO).toString(), payload: topUpPayload(amountNano) }],
  });
}
