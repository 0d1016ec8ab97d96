// The app runs in the browser: the access token lives in memory there, never in server-rendered HTML.
export const ssr = false;
