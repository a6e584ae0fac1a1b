package io.pgingest.connect;

import java.nio.file.Path;

/**
 * A pipeline's SSH tunnel to its source ("Connect through SSH"): every source connection goes to a local port that
 * {@link SshTunnels} forwards, through the SSH server, to the source's host and port (as the SSH server sees them).
 *
 * @param host           the SSH server (bastion)
 * @param port           its port
 * @param user           the SSH user
 * @param privateKeyFile the user's private key (OpenSSH or PEM; unencrypted)
 * @param knownHostsFile the known_hosts file holding the SSH server's host key, which is verified
 */
public record SshSettings(String host, int port, String user, Path privateKeyFile, Path knownHostsFile) {

    @Override
    public String toString() {
        return user + "@" + host + ":" + port;
    }
}
