/** Pages that only query and mutate use the tab's one client; nothing here opens a socket. */
export { api as httpApi } from './trpc';
