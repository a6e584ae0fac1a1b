package io.pgingest.connect;

import org.postgresql.ssl.PGjdbcHostnameVerifier;

import javax.net.ssl.HostnameVerifier;
import javax.net.ssl.SSLSession;
import java.util.Properties;

/**
 * pgjdbc's {@code sslhostnameverifier} for a connection through an SSH tunnel: the driver connects to the tunnel's
 * local port, so the server's certificate is checked against the source's own host name, as without the tunnel.
 */
public final class TunnelledHostVerifier implements HostnameVerifier {

    private final String host;

    /** pgjdbc calls this constructor with the connection's properties. */
    public TunnelledHostVerifier(Properties info) {
        this.host = info.getProperty(SslSettings.TUNNELLED_HOST);
    }

    @Override
    public boolean verify(String connectedTo, SSLSession session) {
        return PGjdbcHostnameVerifier.INSTANCE.verify(host, session);
    }
}
