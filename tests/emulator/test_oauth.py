"""PISTE OAuth and the gateway checks (oauth, routes)."""

import base64
import json
import time
import unittest

from emulator_harness import (  # noqa: F401 (module fixture)
    CLIENT_ID, CONSULTER_FACTURE, CR, DEPOSER, HEALTH, HISTORIQUE, RECHERCHER, EmulatorTest,
    setUpModule, tearDownModule)


class TestOAuth(EmulatorTest):
    def form(self, **over):
        fields = {"grant_type": "client_credentials", "client_id": CLIENT_ID,
                  "client_secret": self.emu.client_secret, "scope": "openid"}
        fields.update(over)
        return {k: v for k, v in fields.items() if v is not None}

    def test_token_success_shape(self):
        r = self.emu.token_request(self.form())
        self.assertEqual(r.status, 200)
        body = r.json()
        self.assertEqual(body["token_type"], "Bearer")
        self.assertEqual(body["expires_in"], 3600)
        self.assertEqual(body["scope"], "openid")
        self.assertGreaterEqual(len(body["access_token"]), 32)
        self.assertEqual(r.headers["Cache-Control"], "no-store")

    def test_scope_optional_or_containing_openid(self):
        self.assertEqual(self.emu.token_request(self.form(scope=None)).status, 200)
        self.assertEqual(self.emu.token_request(self.form(scope="openid%20resource.READ")).status, 200)
        r = self.emu.token_request(self.form(scope="profile"))
        self.assertEqual((r.status, r.json()["error"]), (400, "invalid_scope"))

    def test_bad_client_is_400_invalid_client(self):
        for form in (self.form(client_secret="wrong"), self.form(client_id="someone-else"),
                     self.form(client_secret=None)):
            r = self.emu.token_request(form)
            self.assertEqual(r.status, 400)
            self.assertEqual(r.json()["error"], "invalid_client")
            self.assertIn("error_description", r.json())

    def test_bad_grant_and_content_type(self):
        r = self.emu.token_request(self.form(grant_type="password"))
        self.assertEqual((r.status, r.json()["error"]), (400, "unsupported_grant_type"))
        r = self.emu.token_request(json.dumps(self.form()), content_type="application/json")
        self.assertEqual((r.status, r.json()["error"]), (400, "invalid_request"))

    def test_token_lifetime_is_configurable_and_tokens_expire(self):
        self.emu.ctl("POST", "/_emulator/config", {"token_lifetime": 1})
        r = self.emu.token_request(self.form())
        self.assertEqual(r.json()["expires_in"], 1)
        token = r.json()["access_token"]
        self.assertEqual(self.emu.api(HEALTH, method="GET", token=token).status, 200)
        time.sleep(1.3)
        r = self.emu.api(HEALTH, method="GET", token=token)
        self.assertEqual(r.status, 401)
        self.assertTrue(r.headers["WWW-Authenticate"].startswith('Bearer realm="PISTE"'))

    def test_expire_tokens_mid_session(self):
        token = self.emu.token()
        self.assertEqual(self.emu.api(HEALTH, method="GET", token=token).status, 200)
        self.emu.ctl("POST", "/_emulator/expire-tokens")
        self.assertEqual(self.emu.api(HEALTH, method="GET", token=token).status, 401)
        self.assertEqual(self.emu.api(HEALTH, method="GET", token=self.emu.token()).status, 200)


class TestGatewayChecks(EmulatorTest):
    def test_health_check_body(self):
        r = self.emu.api(HEALTH, method="GET")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json(), {"body": "L'API CPRO est actuellement disponible et fonctionnel.",
                                    "statusCodeValue": 200, "statusCode": "OK"})

    def test_missing_bearer_is_401_with_piste_realm(self):
        r = self.emu.request("GET", HEALTH, headers={"cpro-account": self.emu.account()})
        self.assertEqual(r.status, 401)
        self.assertEqual(r.headers["WWW-Authenticate"], 'Bearer realm="PISTE"')

    def test_unknown_bearer_is_401(self):
        r = self.emu.api(HEALTH, method="GET", token="not-a-token")
        self.assertEqual(r.status, 401)
        self.assertTrue(r.headers["WWW-Authenticate"].startswith('Bearer realm="PISTE"'))
        self.assertNotIn("login or password", r.headers["WWW-Authenticate"])

    def test_bad_cpro_account_is_401_login_or_password(self):
        bad = [self.emu.account(password="wrong"), self.emu.account(login="TECH_1_other@cpro.fr"),
               "%%%not-base64%%%", base64.b64encode(b"no-colon").decode(), ""]
        for account in bad:
            r = self.emu.api(HEALTH, method="GET", account=account)
            self.assertEqual(r.status, 401, account)
            self.assertIn('error_description="login or password incorrects"', r.headers["WWW-Authenticate"])
            self.assertTrue(r.headers["WWW-Authenticate"].startswith('Bearer realm="PISTE"'))
        r = self.emu.request("GET", HEALTH, headers={"Authorization": f"Bearer {self.emu.token()}"})
        self.assertEqual(r.status, 401)
        self.assertIn("login or password incorrects", r.headers["WWW-Authenticate"])

    def test_not_subscribed_configurable_at_runtime(self):
        self.emu.ctl("POST", "/_emulator/config", {"not_subscribed": ["/cpro/factures"]})
        r = self.emu.api(RECHERCHER, {})
        self.assertEqual((r.status, r.body), (403, b""))
        self.assertEqual(self.emu.api(HEALTH, method="GET").status, 200)

    def test_unknown_route_and_wrong_method_are_404(self):
        self.assertEqual(self.emu.api("/cpro/factures/v1/inexistant", {}).status, 404)
        self.assertEqual(self.emu.api(DEPOSER, method="GET").status, 404)
        self.assertEqual(self.emu.request("GET", "/").status, 404)

    def test_non_json_content_type_is_415(self):
        r = self.emu.api(CR, raw=b"numeroFluxDepot=x", content_type="application/x-www-form-urlencoded")
        self.assertEqual(r.status, 415)
        r = self.emu.api(CR, raw=b"{}", content_type="text/plain")
        self.assertEqual(r.status, 415)
        self.assertEqual(self.emu.api(CR, {"numeroFluxDepot": "x"}, content_type="application/json").status, 200)

    def test_malformed_json_is_400_with_code_retour(self):
        for raw in (b"{not json", b"[1, 2]", b'"text"'):
            r = self.emu.api(CR, raw=raw)
            self.assertEqual(r.status, 400, raw)
            body = r.json()
            self.assertNotEqual(body["codeRetour"], 0)
            self.assertIsInstance(body["libelle"], str)

    def test_missing_required_field_is_400(self):
        for path, payload in ((CR, {}), (HISTORIQUE, {}), (CONSULTER_FACTURE, {"identifiantFactureCPP": "x"}),
                              ("/cpro/structures/v1/consulter", {}),
                              ("/cpro/structures/v1/rechercher/services", {}),
                              ("/cpro/structures/v1/consulter/service", {"idStructure": 26073617})):
            r = self.emu.api(path, payload)
            self.assertEqual(r.status, 400, path)
            self.assertNotEqual(r.json()["codeRetour"], 0)


if __name__ == "__main__":
    unittest.main()
