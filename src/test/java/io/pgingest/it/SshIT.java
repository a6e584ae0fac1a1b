package io.pgingest.it;

import io.pgingest.testsupport.TestDatabase;
import org.apache.sshd.common.channel.Channel;
import org.apache.sshd.common.channel.ChannelListener;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.forward.AcceptAllForwardingFilter;
import org.apache.sshd.server.forward.TcpipServerChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The SSH tunnel, through a real SSH server (Apache MINA SSHD, in the test) to the real PostgreSQL. The source's
 * address is a relay that counts its connections: when it accepted exactly as many connections as the SSH server
 * forwarded, every source connection (pg-ingest's and Debezium's) went through the tunnel.
 */
class SshIT {

    @TempDir
    Path tmp;

    private TestDatabase db;
    private PipelineRun run;
    private SshServer sshd;
    private Relay relay;
    private final AtomicInteger forwarded = new AtomicInteger();
    private Path clientKey;
    private Path knownHosts;

    @BeforeEach
    void setUp() throws Exception {
        db = TestDatabase.create("ssh");
        db.execute("CREATE TABLE items (id int PRIMARY KEY, name text)",
                "INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 40) g");
        run = new PipelineRun(tmp);
        KeyPair client = rsa();
        KeyPair host = rsa();
        clientKey = Files.writeString(tmp.resolve("id_rsa"), "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(client.getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n");
        sshd = SshServer.setUpDefaultServer();
        sshd.setHost("127.0.0.1");
        sshd.setPort(0);
        sshd.setKeyPairProvider(KeyPairProvider.wrap(host));
        sshd.setPublickeyAuthenticator((user, key, session) -> user.equals("tunnel") && KeyUtils.compareKeys(key, client.getPublic()));
        sshd.setForwardingFilter(AcceptAllForwardingFilter.INSTANCE);
        sshd.addChannelListener(new ChannelListener() {
            @Override
            public void channelOpenSuccess(Channel channel) {
                if (channel instanceof TcpipServerChannel) {
                    forwarded.incrementAndGet();
                }
            }
        });
        sshd.start();
        knownHosts = Files.writeString(tmp.resolve("known_hosts"),
                "[127.0.0.1]:" + sshd.getPort() + " " + PublicKeyEntry.toString(host.getPublic()) + "\n");
        relay = new Relay(TestDatabase.PORT);
    }

    @AfterEach
    void tearDown() throws Exception {
        relay.close();
        sshd.stop(true);
        db.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '" + db.name() + "'");
        db.close();
    }

    @Test
    void tableModeAndLogicalReplicationReachTheSourceOnlyThroughTheTunnel() throws Exception {
        run.pipeline("polled", db, tunnel("objects", "items: full-load"));
        PipelineRun.Result polled = run.once();
        assertThat(polled.exitCode()).as(polled.stderr()).isZero();
        assertThat(run.duckCount("items")).isEqualTo(40);
        assertThat(relay.accepted.get()).as("connections reached the source").isPositive()
                .as("each through the SSH server").isEqualTo(forwarded.get());

        Files.delete(tmp.resolve("routes").resolve("polled.camel.yaml"));
        String name = "streamed_" + db.suffix();
        run.pipelineTo(name, db, "pgingest-duckdb:" + tmp.resolve("logical.duckdb"), tunnel("mode", "logical-replication"));
        int before = relay.accepted.get();
        assertThat(run.once().exitCode()).isZero();
        db.execute("UPDATE items SET name = 'changed' WHERE id = 7");
        PipelineRun.Result second = run.once();
        assertThat(second.exitCode()).as(second.stderr()).isZero();
        assertThat(PipelineRun.duck(tmp.resolve("logical.duckdb"), "SELECT count(*), max(CASE WHEN id = 7 THEN name END) FROM items"))
                .containsExactly(List.of(40L, "changed"));
        assertThat(relay.accepted.get() - before).as("Debezium's connections, replication included, came too")
                .isGreaterThanOrEqualTo(4);
        assertThat(relay.accepted.get()).as("every one through the SSH server").isEqualTo(forwarded.get());
    }

    @Test
    void anUnknownHostKeyOrARefusedKeyStopsTheStartWithWhatToDo() throws Exception {
        Files.writeString(knownHosts, "[127.0.0.1]:" + sshd.getPort() + " " + PublicKeyEntry.toString(rsa().getPublic()) + "\n");
        run.pipeline("unknown_host", db, tunnel());
        PipelineRun.Result unknown = run.once();
        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.stderr()).contains("through SSH tunnel@127.0.0.1:" + sshd.getPort())
                .contains("is not in " + knownHosts).contains("ssh-keyscan -p " + sshd.getPort() + " 127.0.0.1");
        assertThat(forwarded.get()).as("nothing was forwarded to an unverified server").isZero();

        Files.delete(tmp.resolve("routes").resolve("unknown_host.camel.yaml"));
        Files.writeString(knownHosts, "[127.0.0.1]:" + sshd.getPort() + " " + PublicKeyEntry.toString(
                sshd.getKeyPairProvider().loadKeys(null).iterator().next().getPublic()) + "\n");
        KeyPair stranger = rsa();
        Files.writeString(clientKey, "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(stranger.getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n");
        run.pipeline("refused", db, tunnel());
        PipelineRun.Result refused = run.once();
        assertThat(refused.exitCode()).isEqualTo(2);
        assertThat(refused.stderr()).contains("refused the login").contains("authorized_keys");

        Files.delete(tmp.resolve("routes").resolve("refused.camel.yaml"));
        Files.writeString(clientKey, "not a key");
        run.pipeline("garbage", db, tunnel());
        PipelineRun.Result garbage = run.once();
        assertThat(garbage.exitCode()).isEqualTo(2);
        assertThat(garbage.stderr()).contains("key 'sshPrivateKeyFile'").contains("cannot read the SSH key");
        assertThat(Files.exists(run.duckdb)).as("nothing was written").isFalse();
    }

    @Test
    void aStreamingPipelineGoesOnWhenTheSshSessionDrops() throws Exception {
        try (TestDatabase dest = TestDatabase.create("sshdest")) {
            String name = "resumed_" + db.suffix();
            run.pipelineTo(name, db, PipelineRun.postgresDestination(dest), tunnel("mode", "logical-replication"));
            try (PipelineRun.Streaming streaming = run.stream()) {
                assertThat(PipelineRun.eventually(java.time.Duration.ofSeconds(60), () -> rows(dest, 40) == 1))
                        .as("the historical load").isTrue();
                // made after the load: it arrives once the stream runs
                db.execute("INSERT INTO items VALUES (41, 'before')");
                assertThat(PipelineRun.eventually(java.time.Duration.ofSeconds(60), () -> rows(dest, 41) == 1))
                        .as("streaming through the tunnel").isTrue();
                assertThat(sshd.getActiveSessions()).isNotEmpty();
                for (var session : sshd.getActiveSessions()) {
                    session.close(true); // the bastion drops the tunnel: every forwarded connection breaks
                }
                db.execute("INSERT INTO items VALUES (42, 'after')");
                assertThat(PipelineRun.eventually(java.time.Duration.ofSeconds(90), () -> rows(dest, 42) == 1))
                        .as("the tunnel was opened again and the stream resumed").isTrue();
                assertThat(streaming.stop()).isZero();
            }
        }
        assertThat(relay.accepted.get()).isEqualTo(forwarded.get());
    }

    private static long rows(TestDatabase dest, int id) {
        try {
            return ((Number) PipelineRun.pg(dest, "SELECT count(*) FROM items WHERE id = " + id).get(0).get(0)).longValue();
        } catch (java.sql.SQLException e) {
            return 0; // not created yet
        }
    }

    @Test
    void sslThroughTheTunnelVerifiesTheSourcesHostNameNotTheTunnels() throws Exception {
        // The driver connects to 127.0.0.1 (the tunnel); the server's certificate names localhost, the source's host.
        String[] params = tunnel("objects", "items: full-load", "ssl", "true", "sslCaFile", SslIT.SSL.resolve("ca.crt").toString());
        for (int i = 0; i < params.length; i += 2) {
            if (params[i].equals("host")) {
                params[i + 1] = "localhost";
            }
        }
        run.pipeline("tls_in_ssh", db, params);
        PipelineRun.Result r = run.once();
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(run.duckCount("items")).isEqualTo(40);
        assertThat(forwarded.get()).isPositive().isEqualTo(relay.accepted.get());
    }

    /** The tunnel's parameters (the source as the SSH server sees it: the relay), then {@code extra}. */
    private String[] tunnel(String... extra) {
        List<String> all = new java.util.ArrayList<>(List.of("host", "127.0.0.1", "port", Integer.toString(relay.port()),
                "sshHost", "127.0.0.1", "sshPort", Integer.toString(sshd.getPort()), "sshUser", "tunnel",
                "sshPrivateKeyFile", clientKey.toString(), "sshKnownHostsFile", knownHosts.toString()));
        all.addAll(List.of(extra));
        return all.toArray(new String[0]);
    }

    private static KeyPair rsa() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        return g.generateKeyPair();
    }

    /** A TCP relay on 127.0.0.1 to the real server that counts the connections it accepted. */
    private static final class Relay implements AutoCloseable {
        final AtomicInteger accepted = new AtomicInteger();
        private final ServerSocket server;

        Relay(int targetPort) throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
            Thread t = new Thread(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket in = server.accept();
                        accepted.incrementAndGet();
                        Socket out = new Socket(TestDatabase.HOST, targetPort);
                        pump(in, out);
                        pump(out, in);
                    } catch (IOException e) {
                        return; // closed
                    }
                }
            }, "relay");
            t.setDaemon(true);
            t.start();
        }

        int port() {
            return server.getLocalPort();
        }

        private static void pump(Socket from, Socket to) {
            Thread t = new Thread(() -> {
                try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                    in.transferTo(out);
                } catch (IOException ignored) {
                    // a side closed
                } finally {
                    try {
                        from.close();
                        to.close();
                    } catch (IOException ignored) {
                        // already closed
                    }
                }
            }, "relay-pump");
            t.setDaemon(true);
            t.start();
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
