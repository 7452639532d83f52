/**
 * The key a unit name is compared by ("check whether this unit name exists", the registry match):
 * full-width and half-width forms alike (NFKC: （） and () are one), no white space, lower case.
 */
export function orgNameKey(orgName: string): string {
  return orgName.normalize('NFKC').replace(/\s/g, '').toLowerCase();
}
