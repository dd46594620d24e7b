#include "storage/azure/config.h"

#include <gtest/gtest.h>

#include <map>

#include "storage/credentials.h"
#include "util/error.h"

namespace wrapp::storage::azure {
namespace {

Getenv env_of(const std::map<std::string, std::string>& vars) {
  return [vars](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

class AzureConfig : public ::testing::Test {
 protected:
  void TearDown() override { clear_credentials(); }
};

TEST_F(AzureConfig, AzureHostsAreServedAndNameTheirAccount) {
  Config config = config_from_environment(env_of({}));
  Url url = Url::parse("https://myacct.blob.core.windows.net/repo/.packages/p/1/a b.txt");
  ASSERT_TRUE(serves(config, url));
  Location l = locate(config, url);
  EXPECT_EQ(l.account.name, "myacct");
  EXPECT_EQ(l.container, "repo");
  EXPECT_EQ(l.blob, ".packages/p/1/a b.txt");
  EXPECT_EQ(l.request_url(), "https://myacct.blob.core.windows.net/repo/.packages/p/1/a%20b.txt");
  EXPECT_EQ(l.request_path(true), "/repo");
  EXPECT_TRUE(l.account.key.empty());  // anonymous: a public container
  EXPECT_FALSE(serves(config, Url::parse("https://example.com/repo/x")));
  EXPECT_FALSE(serves(config, Url::parse("s3://bucket/x")));
}

TEST_F(AzureConfig, AConnectionStringsEndpointRoutesAnEmulatorPathStyle) {
  Config config = config_from_environment(env_of(
      {{"AZURE_STORAGE_CONNECTION_STRING",
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;"
        "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;"}}));
  Url url = Url::parse("http://127.0.0.1:10000/devstoreaccount1/repo/dir/f");
  ASSERT_TRUE(serves(config, url));
  EXPECT_FALSE(serves(config, Url::parse("http://127.0.0.1:10001/devstoreaccount1/repo/f")));
  EXPECT_FALSE(serves(config, Url::parse("http://127.0.0.1:10000/other/repo/f")));
  Location l = locate(config, url);
  EXPECT_EQ(l.account.name, "devstoreaccount1");
  EXPECT_EQ(l.account.key, "a2V5");
  EXPECT_EQ(l.container, "repo");
  EXPECT_EQ(l.blob, "dir/f");
  EXPECT_EQ(l.request_url(), "http://127.0.0.1:10000/devstoreaccount1/repo/dir/f");
  EXPECT_EQ(l.request_path(), "/devstoreaccount1/repo/dir/f");
  EXPECT_EQ(l.folder_prefix(), "dir/f/");
}

TEST_F(AzureConfig, ConnectionStringForms) {
  Account dev = parse_connection_string("UseDevelopmentStorage=true", "x");
  EXPECT_EQ(dev.endpoint, "http://127.0.0.1:10000/devstoreaccount1");
  EXPECT_EQ(dev.key, kDevelopmentKey);
  Account suffix = parse_connection_string("AccountName=acct;AccountKey=a2V5;EndpointSuffix=core.chinacloudapi.cn", "x");
  EXPECT_EQ(suffix.endpoint, "https://acct.blob.core.chinacloudapi.cn");
  Account sas = parse_connection_string("BlobEndpoint=https://acct.blob.core.windows.net/;SharedAccessSignature=?sv=1&sig=2", "x");
  EXPECT_EQ(sas.endpoint, "https://acct.blob.core.windows.net");
  EXPECT_EQ(sas.sas, "sv=1&sig=2");
  for (const char* bad : {"garbage", "AccountKey=a2V5;BlobEndpoint=http://h/x", "BlobEndpoint=ftp://h",
                          "DefaultEndpointsProtocol=https"}) {
    try {
      parse_connection_string(bad, "AZURE_STORAGE_CONNECTION_STRING");
      ADD_FAILURE() << bad;
    } catch (const FailedCommand& e) {
      EXPECT_NE(std::string(e.what()).find("AZURE_STORAGE_CONNECTION_STRING"), std::string::npos) << e.what();
      EXPECT_EQ(std::string(e.what()).find("a2V5"), std::string::npos) << "the key was repeated: " << e.what();
    }
  }
}

TEST_F(AzureConfig, AccountVariablesAndSizes) {
  Config config = config_from_environment(env_of({{"AZURE_STORAGE_ACCOUNT", "Acct"},
                                                  {"AZURE_STORAGE_SAS_TOKEN", "?sv=x&sig=y"},
                                                  {"WRAPP_AZURE_BLOCK_SIZE", "1048576"},
                                                  {"WRAPP_AZURE_SINGLE_PUT_SIZE", "2097152"}}));
  ASSERT_EQ(config.accounts.size(), 1u);
  EXPECT_EQ(config.accounts[0].endpoint, "https://acct.blob.core.windows.net");
  EXPECT_EQ(config.accounts[0].sas, "sv=x&sig=y");
  EXPECT_EQ(config.block_size, 1048576u);
  EXPECT_EQ(config.single_put_limit, 2097152u);
  EXPECT_EQ(locate(config, Url::parse("https://acct.blob.core.windows.net/c0ntainer/x")).account.sas, "sv=x&sig=y");
  Url azure_url = Url::parse("https://acct.blob.core.windows.net/c0ntainer/x");
  for (const char* bad : {"lots", "0"}) {
    Config broken = config_from_environment(env_of({{"WRAPP_AZURE_BLOCK_SIZE", bad}}));
    EXPECT_THROW(locate(broken, azure_url), FailedCommand) << bad;
  }
}

TEST_F(AzureConfig, ABrokenVariableFailsAzureURLsOnlyNamingIt) {
  Config broken = config_from_environment(env_of({{"AZURE_STORAGE_CONNECTION_STRING", "AccountKey=a2V5;garbage"}}));
  EXPECT_FALSE(serves(broken, Url::parse("https://cdn.example.com/redirect/p/x")));  // the web stays reachable
  try {
    locate(broken, Url::parse("https://acct.blob.core.windows.net/repo/x"));
    ADD_FAILURE() << "no error";
  } catch (const FailedCommand& e) {
    EXPECT_NE(std::string(e.what()).find("AZURE_STORAGE_CONNECTION_STRING"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("a2V5"), std::string::npos) << e.what();
  }
}

TEST_F(AzureConfig, RegisteredCredentialsWinAndAzureKindRoutesAnyHost) {
  Config config = config_from_environment(env_of({}));
  Url emulator = Url::parse("http://127.0.0.1:9999/devstoreaccount1/repo/x");
  EXPECT_FALSE(serves(config, emulator));
  add_credential({"http://127.0.0.1:9999/devstoreaccount1", "azure_blob",
                  {{"account_name", "devstoreaccount1"}, {"account_key", "a2V5"}}});
  ASSERT_TRUE(serves(config, emulator));
  Location l = locate(config, emulator);
  EXPECT_EQ(l.account.endpoint, "http://127.0.0.1:9999/devstoreaccount1");
  EXPECT_EQ(l.account.key, "a2V5");
  EXPECT_EQ(l.container, "repo");
  // --auth URL,ACCOUNT,KEY and URL,SAS on Azure's own hosts.
  add_credential(parse_auth_option("https://acct.blob.core.windows.net/repo,acct,a2V5"));
  EXPECT_EQ(locate(config, Url::parse("https://acct.blob.core.windows.net/repo/f")).account.key, "a2V5");
  add_credential(parse_auth_option("https://other.blob.core.windows.net/repo,?sv=1&sig=2"));
  EXPECT_EQ(locate(config, Url::parse("https://other.blob.core.windows.net/repo/f")).account.sas, "sv=1&sig=2");
}

TEST_F(AzureConfig, URLsThatNameNoContainerOrABadOneAreBadInput) {
  Config config = config_from_environment(env_of({}));
  EXPECT_THROW(locate(config, Url::parse("https://acct.blob.core.windows.net/")), FailedCommand);
  EXPECT_THROW(locate(config, Url::parse("https://acct.blob.core.windows.net/Upper/x")), FailedCommand);
  EXPECT_THROW(locate(config, Url::parse("https://acct.blob.core.windows.net/ab/x")), FailedCommand);
  EXPECT_THROW(locate(config, Url::parse("https://acct.blob.core.windows.net/repo/" + std::string(1100, 'x'))),
               FailedCommand);
  EXPECT_NO_THROW(locate(config, Url::parse("https://acct.blob.core.windows.net/repo-1/x")));
}

}  // namespace
}  // namespace wrapp::storage::azure
