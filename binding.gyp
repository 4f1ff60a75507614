{
  "variables": { "blas%": "<!(node scripts/detect-blas.mjs)" },
  "targets": [
    {
      "target_name": "r1ts_native",
      "sources": [
        "native/addon.cc",
        "native/kernel_util.cc",
        "native/threadpool.cc",
        "native/memory.cc",
        "native/pool.cc",
        "native/gemm.cc",
        "native/gemm_kernels.cc",
        "native/gemm_skinny.cc",
        "native/elementwise.cc",
        "native/reduce.cc",
        "native/layers.cc",
        "native/indexing.cc",
        "native/attention.cc",
        "native/attention_kernels.cc",
        "native/attention_forward.cc",
        "native/attention_backward.cc",
        "native/optim.cc",
        "native/experts.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-O3", "-ffp-contract=fast", "-fno-math-errno", "-pthread"],
      "ldflags": ["-pthread"],
      "conditions": [
        ["blas=='openblas'", { "defines": ["R1TS_HAVE_CBLAS=1"], "libraries": ["-lopenblas"] }]
      ]
    }
  ]
}
