{
  description = "wave: a container-first, reproducible runtime for Wave coding-agent waves";

  # nixpkgs is the only input: rustPlatform.buildRustPackage, dockerTools and mkShell cover the
  # package, the image and the dev shell. crane would cache dependency builds between checks,
  # and fenix would pin an exact toolchain, but neither is worth a second and third pin here:
  # the workspace builds with any stable rustc >= 1.85 (rust-toolchain.toml names "stable").
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixpkgs-unstable";

  outputs =
    { self, nixpkgs }:
    let
      inherit (nixpkgs) lib;

      systems = [
        "x86_64-linux"
        "aarch64-linux"
      ];
      forAllSystems = f: lib.genAttrs systems (system: f system nixpkgs.legacyPackages.${system});

      cargoToml = builtins.fromTOML (builtins.readFile ./Cargo.toml);
      inherit (cargoToml.workspace.package) version;

      # Each system builds for its own glibc target. `.cargo/config.toml` pins
      # `build.target = x86_64-unknown-linux-gnu` (so `+crt-static` reaches our binaries but not
      # build scripts); on aarch64 that pin would ask for a cross build. nixpkgs' cargo hooks
      # already pass `--target <host triple>`, and CARGO_BUILD_TARGET makes plain `cargo` (the
      # clippy check, the dev shell) agree. RUSTFLAGS replaces the rustflags that nixpkgs'
      # cargoSetupHook writes (`-crt-static` for a glibc host) and the repository's, and, with a
      # target given, applies to our crates only, never to build scripts or proc-macros.
      #
      # Static glibc (glibc.static as a build input) rather than pkgsStatic's musl target: the
      # binary is then the same kind of executable the non-Nix build produces, and the native
      # rustc from the binary cache is used as is; pkgsStatic.rustPlatform needs a rustc with a
      # musl standard library, which the cache does not reliably hold (a rustc build from
      # source).
      rustTargets = {
        x86_64-linux = "x86_64-unknown-linux-gnu";
        aarch64-linux = "aarch64-unknown-linux-gnu";
      };
      rustEnv = system: {
        CARGO_BUILD_TARGET = rustTargets.${system};
        RUSTFLAGS = "-C target-feature=+crt-static";
      };

      # What a build reads: no docs, images, compose or k8s files, so editing them rebuilds nothing.
      src = lib.fileset.toSource {
        root = ./.;
        fileset = lib.fileset.unions [
          ./Cargo.toml
          ./Cargo.lock
          ./.cargo
          ./crates
          ./tests
        ];
      };

      # The image's user, the same as the native image builder's and the compose/k8s manifests'.
      uid = 65532;
      gid = 65532;

      perSystem =
        system: pkgs:
        let
          common = {
            inherit version src;
            cargoLock.lockFile = ./Cargo.lock;
            buildInputs = [ pkgs.glibc.static ];
            env = rustEnv system;
          };

          wave = pkgs.rustPlatform.buildRustPackage (
            common
            // {
              pname = "wave";
              cargoBuildFlags = [
                "-p"
                "wave-cli"
              ];
              # The unit tests of every crate run before the binary is installed. The end-to-end
              # suites (tests/it, crates/*/tests) run in checks.tests, which prepares the sandbox
              # for them.
              doCheck = true;
              cargoTestFlags = [
                "--workspace"
                "--lib"
                "--bins"
              ];
              meta = {
                description = "Container-first runtime for Wave coding-agent waves";
                mainProgram = "wave";
                license = lib.licenses.mit;
                platforms = systems;
              };
            }
          );

          # The whole test suite, debug profile (overflow checks and debug assertions on). The
          # sandbox has no /bin/bash, no Docker engine and a read-only HOME: test fixtures' shebangs
          # point at the store's bash, Docker tests print SKIP (WAVE_REQUIRE_DOCKER is unset) and
          # so does the Nix test (no nix-instantiate on PATH, CI unset).
          tests = pkgs.rustPlatform.buildRustPackage (
            common
            // {
              pname = "wave-tests";
              checkType = "debug";
              postPatch = ''
                for f in $(grep -rl '#!/bin/bash' crates tests || true); do
                  sed -i 's|#!/bin/bash|#!${pkgs.bash}/bin/bash|g' "$f"
                done
              '';
              buildPhase = "runHook preBuild; runHook postBuild";
              doCheck = true;
              cargoTestFlags = [ "--workspace" ];
              nativeCheckInputs = [
                pkgs.bash
                pkgs.procps
                pkgs.git
              ];
              preCheck = ''
                export HOME=$TMPDIR
              '';
              installPhase = "mkdir -p $out";
            }
          );

          clippy = pkgs.rustPlatform.buildRustPackage (
            common
            // {
              pname = "wave-clippy";
              nativeBuildInputs = [ pkgs.clippy ];
              buildPhase = ''
                runHook preBuild
                cargo clippy --workspace --all-targets --offline -- -D warnings
                runHook postBuild
              '';
              doCheck = false;
              installPhase = "mkdir -p $out";
            }
          );

          fmt =
            pkgs.runCommand "wave-fmt-${version}"
              {
                nativeBuildInputs = [
                  pkgs.cargo
                  pkgs.rustfmt
                ];
              }
              ''
                export HOME=$TMPDIR
                cd ${src}
                cargo fmt --all -- --check
                mkdir -p $out
              '';

          # The user `wave` (65532:65532, HOME /home/wave) next to root and nobody.
          nss = pkgs.fakeNss.override {
            extraPasswdLines = [ "wave:x:${toString uid}:${toString gid}:wave:/home/wave:/bin/bash" ];
            extraGroupLines = [ "wave:x:${toString gid}:" ];
          };

          # The same layout as `wave image build` and images/supervisor: /usr/local/bin/wave as
          # entrypoint, `supervise` as command, /workspace with .tmp/.wave owned by 65532 and
          # declared as volumes, /tmp 1777, plus bash and coreutils for agent scripts and a CA
          # bundle for executors that call HTTPS APIs. `nix build .#image` gives a script that
          # streams a `docker load` archive: `./result | docker load`.
          image = pkgs.dockerTools.streamLayeredImage {
            name = "wave";
            tag = version;
            created = "1970-01-01T00:00:01Z";
            contents = [
              wave
              nss
              pkgs.bash
              pkgs.coreutils
              pkgs.cacert
            ];
            fakeRootCommands = ''
              mkdir -p usr/local/bin workspace/.tmp workspace/.wave home/wave tmp
              ln -s ${wave}/bin/wave usr/local/bin/wave
              chown -R ${toString uid}:${toString gid} workspace home/wave
              chmod 1777 tmp
            '';
            config = {
              User = "${toString uid}:${toString gid}";
              Entrypoint = [ "/usr/local/bin/wave" ];
              Cmd = [ "supervise" ];
              WorkingDir = "/workspace";
              Env = [
                "PATH=/usr/local/bin:/bin"
                "HOME=/home/wave"
                "WAVE_REPO_ROOT=/workspace"
                "SSL_CERT_FILE=${pkgs.cacert}/etc/ssl/certs/ca-bundle.crt"
                "NIX_SSL_CERT_FILE=${pkgs.cacert}/etc/ssl/certs/ca-bundle.crt"
              ];
              Volumes = {
                "/workspace/.tmp" = { };
                "/workspace/.wave" = { };
              };
              Labels = {
                "org.opencontainers.image.title" = "wave";
                "org.opencontainers.image.description" = "wave supervisor: Wave coding-agent waves as PID 1";
                "org.opencontainers.image.version" = version;
                "org.opencontainers.image.licenses" = cargoToml.workspace.package.license;
                "org.opencontainers.image.source" = cargoToml.workspace.package.repository;
                "org.opencontainers.image.revision" = self.rev or "dirty";
              };
              # Docker durations are nanoseconds.
              Healthcheck = {
                Test = [
                  "CMD"
                  "/usr/local/bin/wave"
                  "health"
                ];
                Interval = 30 * 1000000000;
                Timeout = 5 * 1000000000;
                StartPeriod = 10 * 1000000000;
                Retries = 3;
              };
            };
          };

          # Building `image` only builds the streaming script; this also streams it and checks the
          # archive has a manifest, so a broken layer fails `nix flake check`.
          imageStreams =
            pkgs.runCommand "wave-image-streams-${version}" { nativeBuildInputs = [ pkgs.gnutar ]; }
              ''
                ${image} > image.tar
                tar -tf image.tar > entries
                grep -qx manifest.json entries
                mkdir -p $out
              '';
        in
        {
          packages = {
            default = wave;
            inherit wave image;
          };

          checks = {
            inherit
              fmt
              clippy
              tests
              wave
              ;
            image = imageStreams;
          };

          devShells.default = pkgs.mkShell {
            packages = [
              pkgs.rustc
              pkgs.cargo
              pkgs.clippy
              pkgs.rustfmt
              pkgs.rust-analyzer
              pkgs.cargo-nextest
              pkgs.docker-client
              pkgs.docker-compose
              pkgs.kubectl
              pkgs.skopeo
              pkgs.umoci
              pkgs.git
              pkgs.nixfmt
            ];
            # The workspace links every binary and test with +crt-static.
            buildInputs = [ pkgs.glibc.static ];
            env = rustEnv system;
          };

          apps.default = {
            type = "app";
            program = "${wave}/bin/wave";
          };

          formatter = pkgs.nixfmt-tree;
        };

      outputsFor = forAllSystems perSystem;
      pick = name: lib.mapAttrs (_: outputs: outputs.${name}) outputsFor;
    in
    {
      packages = pick "packages";
      checks = pick "checks";
      devShells = pick "devShells";
      apps = pick "apps";
      formatter = pick "formatter";
    };
}
