import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { type ReactNode, useState } from "react";
import type { Backend } from "../api/backend";
import { BackendProvider } from "../api/backend-context";

export function makeQueryClient(options: { retry?: boolean } = {}): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        retry: options.retry === false ? false : 2,
        staleTime: 10_000,
        refetchOnWindowFocus: true,
      },
      mutations: { retry: false },
    },
  });
}

export function AppProvider({
  backend,
  client,
  children,
}: {
  backend: Backend;
  client?: QueryClient;
  children: ReactNode;
}) {
  const [queryClient] = useState(() => client ?? makeQueryClient());
  return (
    <QueryClientProvider client={queryClient}>
      <BackendProvider backend={backend}>{children}</BackendProvider>
    </QueryClientProvider>
  );
}
