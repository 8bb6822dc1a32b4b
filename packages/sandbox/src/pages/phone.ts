export function phonePage(_options: { publicUrl: string; cookiePath: string; cookieName: string }): string {
  return '<!doctype html><title>phone</title>';
}
