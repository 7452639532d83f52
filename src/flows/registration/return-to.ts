/**
 * Where a self-service flow sends the user back when done: the sign-in they came from (an OP
 * interaction or the portal), given as a path on this site. Anything else is dropped, so the flows
 * cannot be turned into open redirects.
 */
export function safeReturnPath(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 512) return undefined;
  return /^\/(interaction\/[A-Za-z0-9_-]+|portal(\/[A-Za-z0-9_/-]*)?)?(\?[A-Za-z0-9_=&%.-]*)?$/.test(value) ? value : undefined;
}

export function returnQuery(returnTo: string | undefined): string {
  return returnTo ? `?return_to=${encodeURIComponent(returnTo)}` : '';
}
