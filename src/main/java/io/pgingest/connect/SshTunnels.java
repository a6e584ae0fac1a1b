package io.pgingest.connect;

import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.keyverifier.KnownHostsServerKeyVerifier;
import org.apache.sshd.client.keyverifier.RejectAllServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.util.net.SshdSocketAddress;
import org.apache.sshd.common.util.security.SecurityUtils;
import org.apache.sshd.core.CoreModuleProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The process's SSH tunnels: one per SSH server and target, each a local port on 127.0.0.1 forwarded through an SSH
 * session to the source. A tunnel whose session dropped (the bastion restarted, the network failed) is opened again
 * on the same local port when the next connection asks for it, so Debezium's reconnects to that port succeed once
 * a pg-ingest connection or the keeper has re-opened it. The SSH server's host key is verified against the
 * known_hosts file; an unknown or changed key is refused.
 */
public final class SshTunnels {

    private static final Logger LOG = LoggerFactory.getLogger(SshTunnels.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(15);

    /** A local forward: its fixed local port, and the session carrying it while it is open. */
    private static final class Tunnel {
        int localPort;
        ClientSession session;
    }

    private static final Map<String, Tunnel> TUNNELS = new HashMap<>();
    private static final java.util.concurrent.ScheduledExecutorService KEEPER =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "pgingest-ssh-keeper");
                t.setDaemon(true);
                return t;
            });
    private static final Map<String, SshClient> CLIENTS = new HashMap<>();

    private SshTunnels() {
    }

    /** The local address that reaches {@code targetHost:targetPort} through {@code ssh}; opens the tunnel if needed. */
    public static synchronized SshdSocketAddress local(SshSettings ssh, String targetHost, int targetPort) throws IOException {
        String key = ssh + " -> " + targetHost + ":" + targetPort;
        Tunnel tunnel = TUNNELS.computeIfAbsent(key, k -> new Tunnel());
        if (tunnel.session == null || !tunnel.session.isOpen()) {
            ClientSession session = open(ssh);
            SshdSocketAddress bound;
            try {
                bound = session.startLocalPortForwarding(
                        new SshdSocketAddress("127.0.0.1", tunnel.localPort), new SshdSocketAddress(targetHost, targetPort));
            } catch (IOException | RuntimeException e) {
                session.close(true);
                throw new IOException("cannot forward 127.0.0.1:" + tunnel.localPort + " through the SSH server " + ssh + " to "
                        + targetHost + ":" + targetPort + ": " + message(e), e);
            }
            tunnel.session = session;
            tunnel.localPort = bound.getPort();
            LOG.info("SSH tunnel through {}: 127.0.0.1:{} -> {}:{}", ssh, tunnel.localPort, targetHost, targetPort);
            ClientSession opened = tunnel.session;
            opened.addCloseFutureListener(f -> KEEPER.schedule(() -> reopen(key, opened, ssh, targetHost, targetPort),
                    5, java.util.concurrent.TimeUnit.SECONDS));
        }
        return new SshdSocketAddress("127.0.0.1", tunnel.localPort);
    }

    /**
     * A tunnel's session closed: opens it again on the same local port (for Debezium, which reconnects to that port),
     * every 5 s until it works or the tunnel was closed or replaced.
     */
    private static void reopen(String key, ClientSession closed, SshSettings ssh, String targetHost, int targetPort) {
        synchronized (SshTunnels.class) {
            Tunnel t = TUNNELS.get(key);
            if (t == null || t.session != closed) {
                return; // closed by closeAll, or already re-opened by a connection that needed it
            }
            try {
                local(ssh, targetHost, targetPort);
            } catch (IOException | RuntimeException e) {
                LOG.warn("SSH tunnel through {} is down, retrying in 5 s: {}", ssh, e.getMessage());
                KEEPER.schedule(() -> reopen(key, closed, ssh, targetHost, targetPort), 5, java.util.concurrent.TimeUnit.SECONDS);
            }
        }
    }

    private static int users;

    /** A user of the tunnels starts (a pg-ingest component: a process may run several Camel contexts). */
    public static synchronized void retain() {
        users++;
    }

    /** A user stops; the last one closes every tunnel. */
    public static synchronized void release() {
        users = Math.max(0, users - 1);
        if (users == 0) {
            closeAll();
        }
    }

    /** Closes every tunnel and SSH client. */
    static synchronized void closeAll() {
        for (Tunnel t : TUNNELS.values()) {
            if (t.session != null) {
                try {
                    t.session.close();
                } catch (IOException e) {
                    LOG.debug("closing an SSH session: {}", e.getMessage());
                }
            }
        }
        TUNNELS.clear();
        CLIENTS.values().forEach(SshClient::stop);
        CLIENTS.clear();
    }

    /** Checks that the key file can be read (at start, so that a bad file names its setting). */
    public static void checkKey(SshSettings ssh) {
        keyPairs(ssh);
    }

    private static ClientSession open(SshSettings ssh) throws IOException {
        SshClient client = CLIENTS.computeIfAbsent(ssh.knownHostsFile().toString(), k -> {
            SshClient c = SshClient.setUpDefaultClient();
            c.setServerKeyVerifier(new KnownHostsServerKeyVerifier(RejectAllServerKeyVerifier.INSTANCE, ssh.knownHostsFile()));
            CoreModuleProperties.HEARTBEAT_INTERVAL.set(c, Duration.ofSeconds(30));
            c.start();
            return c;
        });
        ClientSession session;
        try {
            session = client.connect(ssh.user(), ssh.host(), ssh.port()).verify(TIMEOUT).getSession();
        } catch (IOException e) {
            throw new IOException("cannot reach the SSH server " + ssh.host() + ":" + ssh.port() + ": " + message(e)
                    + "; fix: check sshHost and sshPort, and that this machine may reach them", e);
        }
        try {
            keyPairs(ssh).forEach(session::addPublicKeyIdentity);
            session.auth().verify(TIMEOUT);
            return session;
        } catch (IOException e) {
            session.close(true);
            String m = message(e);
            if (messages(e).contains("did not validate")) {
                throw new IOException("the host key of the SSH server " + ssh.host() + ":" + ssh.port() + " is not in "
                        + ssh.knownHostsFile() + " (or it changed); fix: check the key and add it, e.g. ssh-keyscan -p "
                        + ssh.port() + " " + ssh.host() + " >> " + ssh.knownHostsFile(), e);
            }
            throw new IOException("the SSH server " + ssh + " refused the login with " + ssh.privateKeyFile() + ": " + m
                    + "; fix: add the key's public half to ~" + ssh.user() + "/.ssh/authorized_keys on the SSH server", e);
        }
    }

    private static List<KeyPair> keyPairs(SshSettings ssh) {
        try (InputStream in = Files.newInputStream(ssh.privateKeyFile())) {
            List<KeyPair> keys = new ArrayList<>();
            Iterable<KeyPair> loaded = SecurityUtils.loadKeyPairIdentities(null,
                    NamedResource.ofName(ssh.privateKeyFile().toString()), in, null);
            if (loaded != null) {
                loaded.forEach(keys::add);
            }
            if (keys.isEmpty()) {
                throw new IllegalArgumentException("cannot read the SSH key " + ssh.privateKeyFile() + ": it holds no private"
                        + " key (an unencrypted OpenSSH or PEM private key is needed)");
            }
            return keys;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot read the SSH key " + ssh.privateKeyFile() + ": " + message(e)
                    + " (an unencrypted OpenSSH or PEM private key is needed)", e);
        }
    }

    private static String messages(Throwable e) {
        StringBuilder all = new StringBuilder();
        for (Throwable t = e; t != null && all.length() < 4000; t = t.getCause() == t ? null : t.getCause()) {
            all.append(t.getMessage()).append(' ');
        }
        return all.toString();
    }

    private static String message(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t && !(t instanceof ConnectException)) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
