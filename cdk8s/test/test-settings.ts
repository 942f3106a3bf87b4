// Test support: platform settings with a token issuer key made for this test
// process (never written anywhere), so that tests never depend on a key in .local/.
import { defaultPlatformSettings, platformSettings, type PlatformProps, type PlatformSettings } from "../src/platform-settings.ts";
import { generateSigningKey, type SigningKey } from "@meshmart/dev-identity/signing-key";

export const testSigningKey: SigningKey = generateSigningKey();

/** The default settings (what `make synth` uses), with the test key's public set. */
export const testPlatformSettings: PlatformSettings = { ...defaultPlatformSettings, jwt: { ...defaultPlatformSettings.jwt, jwks: testSigningKey.jwks } };

export function testSettings(props: Omit<PlatformProps, "jwt"> & { jwt?: Partial<PlatformProps["jwt"]> } = {}): PlatformSettings {
  return platformSettings({ ...props, jwt: { jwks: testSigningKey.jwks, ...props.jwt } });
}
