{
  "targets": [
    {
      "target_name": "diag_bpf",
      "sources": ["src/addon.cc", "build/gen/embedded.cc"],
      "include_dirs": ["src"],
      "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
      "libraries": ["-lbpf"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Wno-missing-field-initializers", "-Wno-unused-parameter"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
