// The app renders in the browser everywhere else (routes/+layout.ts). A share link's page and its
// error page (404/410) are rendered on the server, so chat apps that fetch them without running
// scripts see the Open Graph tags and the reason.
export const ssr = true;
