/**
 * The key the hidden cells travel under (AES-256-GCM): both the grader and
 * the harness derive it from the run's key, each with its own SHA-256 (the
 * harness passes one built from functions it took before any submission ran).
 */
export function hiddenKey(key: string, sha256: (s: string) => Buffer): Buffer {
  return sha256("gradlab-hidden-cells\0" + key);
}
