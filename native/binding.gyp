# node-gyp build of the IPC Explorer binding (Linux only). `npm install` runs it via tools/build-native.mjs:
#   node-gyp rebuild --directory native   ->   native/build/Release/ipc_native.node
{
  "targets": [
    {
      "target_name": "ipc_native",
      "conditions": [
        ["OS=='linux'", {
          "sources": [
            "src/addon.cc",
            "src/api.cc",
            "src/convert.cc",
            "src/json_writer.cc",
            "src/errno_error.cc",
            "src/sysv_sem.cc",
            "src/sysv_shm.cc",
            "src/sysv_msg.cc",
            "src/limits.cc",
            "src/posix_sem.cc",
            "src/ipc_ns.cc",
            "src/ns_api.cc",
            "src/call_watch.cc",
            "src/js_args.cc"
          ],
          "dependencies": [
            "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"
          ],
          "defines": ["NAPI_VERSION=8", "_GNU_SOURCE", "IPCX_NATIVE_VERSION=\"0.1.0\""],
          "cflags": ["-O2", "-fstack-protector-strong", "-Wall", "-Wextra", "-D_FORTIFY_SOURCE=2"],
          "cflags_cc": ["-O2", "-fstack-protector-strong", "-Wall", "-Wextra", "-std=c++17", "-pthread"],
          "ldflags": ["-Wl,-z,relro,-z,now", "-pthread"]
        }]
      ]
    }
  ]
}
