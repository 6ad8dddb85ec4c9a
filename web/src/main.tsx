// One bundle, two faces: /dashboard shows the operator dashboard of the node that serves the page;
// every other path (/, /app/) the chat against the client node's own API.
import { render } from "preact";
import { ChatView } from "./chat/ChatView";
import { DashboardView } from "./dashboard/DashboardView";
import { startTelegram } from "./telegram";
import "./styles.css";

export function isDashboardPath(pathname: string): boolean {
  return /\/dashboard\/?$/.test(pathname);
}

const root = document.getElementById("app")!;
const dashboard = isDashboardPath(location.pathname);
document.title = dashboard ? "Chrysalis dashboard" : "Chrysalis chat";
document.documentElement.dataset.view = dashboard ? "dashboard" : "chat";
render(dashboard ? <DashboardView /> : <ChatView />, root);
if (!dashboard) {
  // Inside Telegram: theme, viewport, back button, haptics. Re-render so the header adapts.
  startTelegram().then((tg) => {
    if (tg) render(<ChatView />, root);
  });
}
