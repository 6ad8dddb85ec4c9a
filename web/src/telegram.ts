// Telegram Mini App integration. In a normal browser nothing of the SDK is loaded: a cheap check
// of Telegram's launch traces decides, then the SDK comes as a lazy chunk and is confirmed with
// its own isTMA(). Inside Telegram: theme colours and viewport as CSS variables, the back button,
// haptic feedback.

type Sdk = typeof import("@telegram-apps/sdk");

let sdk: Sdk | null = null;
let backHandler: (() => void) | null = null;

/** Launch traces Telegram leaves: the launch parameters in the URL hash, or its webview bridge. */
export function looksLikeTelegram(): boolean {
  try {
    if (/[#&?]tgWebApp(Data|Version|Platform)=/.test(location.hash + location.search)) return true;
    const w = window as unknown as Record<string, unknown>;
    if (w.TelegramWebviewProxy) return true;
    // The SDK keeps the launch parameters in sessionStorage across reloads inside Telegram.
    for (let i = 0; i < sessionStorage.length; i++) {
      const k = sessionStorage.key(i) || "";
      if (k.startsWith("tapps/") || k.includes("launchParams")) return true;
    }
  } catch {
    /* storage refused: not decisive */
  }
  return false;
}

export function inTelegram(): boolean {
  return sdk !== null;
}

/** Starts the SDK when the page runs inside Telegram; resolves true if it does. Never throws. */
export async function startTelegram(): Promise<boolean> {
  if (!looksLikeTelegram()) return false;
  try {
    const s = await import("@telegram-apps/sdk");
    if (!s.isTMA()) return false;
    s.init();
    if (s.mountThemeParamsSync.isAvailable()) s.mountThemeParamsSync();
    if (s.bindThemeParamsCssVars.isAvailable()) s.bindThemeParamsCssVars();
    if (s.mountMiniAppSync.isAvailable()) s.mountMiniAppSync();
    if (s.bindMiniAppCssVars.isAvailable()) s.bindMiniAppCssVars();
    if (s.mountBackButton.isAvailable()) {
      s.mountBackButton();
      s.onBackButtonClick(() => backHandler?.());
    }
    if (s.miniAppReady.isAvailable()) s.miniAppReady();
    // The viewport answers asynchronously (Telegram sends viewport_changed): do not hold the app.
    if (s.mountViewport.isAvailable()) {
      s.mountViewport()
        .then(() => {
          if (s.bindViewportCssVars.isAvailable()) s.bindViewportCssVars();
          if (s.expandViewport.isAvailable()) s.expandViewport();
        })
        .catch((e: unknown) => console.info("Telegram viewport not mounted:", e instanceof Error ? e.message : e));
    }
    sdk = s;
    document.documentElement.classList.add("tg");
    if (s.isThemeParamsDark()) document.documentElement.classList.add("tg-dark");
    return true;
  } catch (e) {
    // Outside a real Telegram client the bridge may refuse: the page works on as a plain page.
    console.info("Telegram SDK not started:", e instanceof Error ? e.message : e);
    return false;
  }
}

/** Shows Telegram's back button while `handler` is set (a panel is open); hides it with null. */
export function setBackButton(handler: (() => void) | null): void {
  backHandler = handler;
  if (!sdk) return;
  try {
    if (handler && sdk.showBackButton.isAvailable()) sdk.showBackButton();
    if (!handler && sdk.hideBackButton.isAvailable()) sdk.hideBackButton();
  } catch {
    /* not supported by this client */
  }
}

export function haptic(kind: "tap" | "success" | "error" | "warning"): void {
  if (!sdk) return;
  try {
    if (kind === "tap") {
      if (sdk.hapticFeedbackImpactOccurred.isAvailable()) sdk.hapticFeedbackImpactOccurred("light");
    } else if (sdk.hapticFeedbackNotificationOccurred.isAvailable()) {
      sdk.hapticFeedbackNotificationOccurred(kind);
    }
  } catch {
    /* not supported by this client */
  }
}
