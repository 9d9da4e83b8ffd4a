/** True for a /proc entry that is a process directory: decimal digits only ("1234", not "self"). */
export function isPidName(name: string): boolean {
  const n = name.length;
  if (n === 0 || n > 10) return false;
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}
