/*
 * Reads a libconfig file the way ProxySQL does (libconfig, lib/configfile.cpp) and prints it as JSON, so tests can
 * assert what a rendered proxysql.cnf holds. Exit 0 and JSON on stdout when it parses; exit 2 with
 * "file:line: error" on stderr when it does not; exit 1 on usage errors.
 *
 *   gcc -o libconfig-to-json libconfig-to-json.c -lconfig
 */
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>

static void print_string(const char *s) {
  putchar('"');
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') printf("\\%c", *p);
    else if (*p < 0x20) printf("\\u%04x", *p);
    else putchar(*p);
  }
  putchar('"');
}

static void print_setting(const config_setting_t *s) {
  int n;
  switch (config_setting_type(s)) {
  case CONFIG_TYPE_INT:
    printf("%d", config_setting_get_int(s));
    break;
  case CONFIG_TYPE_INT64:
    printf("%lld", config_setting_get_int64(s));
    break;
  case CONFIG_TYPE_FLOAT:
    printf("%.17g", config_setting_get_float(s));
    break;
  case CONFIG_TYPE_BOOL:
    printf(config_setting_get_bool(s) ? "true" : "false");
    break;
  case CONFIG_TYPE_STRING:
    print_string(config_setting_get_string(s));
    break;
  case CONFIG_TYPE_GROUP:
    putchar('{');
    n = config_setting_length(s);
    for (int i = 0; i < n; i++) {
      const config_setting_t *c = config_setting_get_elem(s, i);
      if (i > 0) putchar(',');
      print_string(config_setting_name(c));
      putchar(':');
      print_setting(c);
    }
    putchar('}');
    break;
  case CONFIG_TYPE_LIST:
  case CONFIG_TYPE_ARRAY:
    putchar('[');
    n = config_setting_length(s);
    for (int i = 0; i < n; i++) {
      if (i > 0) putchar(',');
      print_setting(config_setting_get_elem(s, i));
    }
    putchar(']');
    break;
  default:
    printf("null");
  }
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s FILE\n", argv[0]);
    return 1;
  }
  config_t cfg;
  config_init(&cfg);
  if (!config_read_file(&cfg, argv[1])) {
    fprintf(stderr, "%s:%d: %s\n", config_error_file(&cfg) ? config_error_file(&cfg) : argv[1], config_error_line(&cfg),
            config_error_text(&cfg));
    config_destroy(&cfg);
    return 2;
  }
  print_setting(config_root_setting(&cfg));
  putchar('\n');
  config_destroy(&cfg);
  return 0;
}
