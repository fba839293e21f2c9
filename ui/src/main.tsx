import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { createBackend } from "./api/backend";
import { App } from "./app/app";
import { AppProvider } from "./app/provider";
import "./styles.css";

const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root element");

createBackend().then((backend) => {
  createRoot(root).render(
    <StrictMode>
      <AppProvider backend={backend}>
        <App backend={backend} />
      </AppProvider>
    </StrictMode>,
  );
});
