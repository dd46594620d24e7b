#include "storage/gcs/auth.h"

#include <openssl/evp.h>

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "storage/gcs/test_key.h"
#include "storage/http/scripted_server.h"
#include "util/error.h"

namespace wrapp::storage::gcs {
namespace {

using http::testing::Reply;
using http::testing::ScriptedServer;

using testing::test_key;

std::string base64url_decode(std::string_view text) {
  std::string b64(text);
  for (auto& c : b64) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (b64.size() % 4) b64 += '=';
  std::string out(b64.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(b64.data()), static_cast<int>(b64.size()));
  // EVP_DecodeBlock counts the bytes the '=' padding stands for as zeros.
  out.resize(static_cast<size_t>(n) - (b64.size() - text.size()));
  return out;
}

ServiceAccount account(std::string token_uri = std::string(kDefaultTokenUri)) {
  ServiceAccount a;
  a.client_email = "robot@project.iam.gserviceaccount.com";
  a.private_key = test_key().pem();
  a.private_key_id = "key-1";
  a.token_uri = std::move(token_uri);
  a.source = "/keys/robot.json";
  return a;
}

TEST(GcsAuth, Base64Url) {
  EXPECT_EQ(base64url(""), "");
  EXPECT_EQ(base64url("f"), "Zg");
  EXPECT_EQ(base64url("fo"), "Zm8");
  EXPECT_EQ(base64url("foo"), "Zm9v");
  EXPECT_EQ(base64url("\xfb\xff\xbf"), "-_-_");
}

TEST(GcsAuth, JwtIsSignedRs256AndSaysWhoWhatAndUntilWhen) {
  std::string jwt = make_jwt(account(), 1700000000);
  size_t a = jwt.find('.'), b = jwt.rfind('.');
  ASSERT_NE(a, b);
  auto header = nlohmann::json::parse(base64url_decode(jwt.substr(0, a)));
  auto claims = nlohmann::json::parse(base64url_decode(jwt.substr(a + 1, b - a - 1)));
  EXPECT_EQ(header, (nlohmann::json{{"alg", "RS256"}, {"typ", "JWT"}, {"kid", "key-1"}}));
  EXPECT_EQ(claims["iss"], "robot@project.iam.gserviceaccount.com");
  EXPECT_EQ(claims["aud"], "https://oauth2.googleapis.com/token");
  EXPECT_EQ(claims["scope"], "https://www.googleapis.com/auth/devstorage.read_write");
  EXPECT_EQ(claims["iat"], 1700000000);
  EXPECT_EQ(claims["exp"], 1700003600);

  // The signature verifies with the public half over "header.claims".
  std::string signature = base64url_decode(jwt.substr(b + 1));
  ASSERT_EQ(signature.size(), 256u);
  std::string input = jwt.substr(0, b);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  ASSERT_EQ(EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, test_key().key.get()), 1);
  EXPECT_EQ(EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                             reinterpret_cast<const unsigned char*>(input.data()), input.size()),
            1);
  input[5] ^= 1;
  ASSERT_EQ(EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, test_key().key.get()), 1);
  EXPECT_NE(EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                             reinterpret_cast<const unsigned char*>(input.data()), input.size()),
            1);
}

TEST(GcsAuth, KeysThatCannotSignAreNamedNeverQuoted) {
  ServiceAccount bad = account();
  bad.private_key = "-----BEGIN PRIVATE KEY-----\nNOT-A-KEY-SECRET\n-----END PRIVATE KEY-----\n";
  try {
    make_jwt(bad, 1);
    ADD_FAILURE();
  } catch (const StorageError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("robot@project.iam.gserviceaccount.com"), std::string::npos) << m;
    EXPECT_NE(m.find("/keys/robot.json"), std::string::npos) << m;
    EXPECT_EQ(m.find("NOT-A-KEY"), std::string::npos) << m;
  }
}

TEST(GcsAuth, ServiceAccountFiles) {
  nlohmann::json j = {{"type", "service_account"}, {"client_email", "r@p.iam"}, {"private_key", "PEM-SECRET"},
                      {"private_key_id", "k"}, {"project_id", "p"}};
  ServiceAccount a = parse_service_account(j.dump(), "/k.json");
  EXPECT_EQ(a.client_email, "r@p.iam");
  EXPECT_EQ(a.token_uri, kDefaultTokenUri);
  EXPECT_EQ(a.project_id, "p");
  for (auto change : std::vector<std::pair<std::string, nlohmann::json>>{
           {"type", "authorized_user"}, {"client_email", ""}, {"private_key", nullptr}, {"token_uri", "file:///x"}}) {
    nlohmann::json broken = j;
    broken[change.first] = change.second;
    try {
      parse_service_account(broken.dump(), "/k.json");
      ADD_FAILURE() << change.first;
    } catch (const StorageError& e) {
      EXPECT_NE(std::string(e.what()).find("/k.json"), std::string::npos) << e.what();
      EXPECT_EQ(std::string(e.what()).find("PEM-SECRET"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(parse_service_account("PEM-SECRET not json", "/k.json"), StorageError);
  EXPECT_THROW(load_service_account("/no/such/key.json"), StorageError);
}

TEST(GcsAuth, TokensAreFetchedOnceAndCachedUntilNearExpiry) {
  ScriptedServer server({{200, {}, R"({"access_token":"tok-1","expires_in":3600,"token_type":"Bearer"})"},
                         {200, {}, R"({"access_token":"tok-2","expires_in":3600})"},
                         {200, {}, R"({"access_token":"tok-3","expires_in":3600})"}});
  http::Client client;
  int64_t now = 1700000000;
  TokenSource tokens(account(server.url("/token")), client, {}, {}, [&] { return now; });
  EXPECT_EQ(tokens.token(), "tok-1");
  now += 3000;  // still more than 5 minutes left
  EXPECT_EQ(tokens.token(), "tok-1");
  now += 400;  // less than 5 minutes left: renewed
  EXPECT_EQ(tokens.token(), "tok-2");
  tokens.invalidate("tok-1");  // an old token's refusal does not drop the new one
  EXPECT_EQ(tokens.token(), "tok-2");
  tokens.invalidate("tok-2");
  EXPECT_EQ(tokens.token(), "tok-3");
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_TRUE(requests[0].starts_with("POST /token HTTP/1.1")) << requests[0];
  EXPECT_NE(requests[0].find("Content-Type: application/x-www-form-urlencoded"), std::string::npos);
  EXPECT_NE(requests[0].find("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion="),
            std::string::npos)
      << requests[0];
}

TEST(GcsAuth, ARefusedExchangeNamesTheAccountAndWhatTheServerSaidButNoSecret) {
  ScriptedServer server({{400, {}, R"({"error":"invalid_grant","error_description":"Invalid JWT Signature."})"}});
  http::Client client;
  TokenSource tokens(account(server.url("/token?secret=query")), client, {}, {});
  try {
    tokens.token();
    ADD_FAILURE();
  } catch (const StorageError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("robot@project.iam.gserviceaccount.com"), std::string::npos) << m;
    EXPECT_NE(m.find("invalid_grant: Invalid JWT Signature."), std::string::npos) << m;
    EXPECT_EQ(m.find("secret=query"), std::string::npos) << m;
    EXPECT_EQ(m.find("assertion"), std::string::npos) << m;
  }
}

}  // namespace
}  // namespace wrapp::storage::gcs
