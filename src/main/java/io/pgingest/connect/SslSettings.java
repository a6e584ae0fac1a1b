package io.pgingest.connect;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A pipeline's SSL settings for its source connections ("Use SSL"). With a CA file the server is verified: its
 * certificate must chain to one of the CA certificates (the file's first one, or up to {@link #MAX_CA_CERTIFICATES} of
 * them with {@code loadAllCaCertificates}), and with {@code verifyHostname} name the host connected to ({@code
 * verify-full}; else {@code verify-ca}). Without one the connection is encrypted but the server is not verified
 * ({@code require}). A client certificate and its key (RSA only) authenticate the user when the server asks for one.
 * Every connection to the source uses them: pgjdbc's and Debezium's, through {@link PgIngestSslFactory}.
 * {@link #DISABLED} ({@code ssl: false}) connects without SSL.
 *
 * @param enabled               false: no SSL at all ({@code sslmode=disable}); the other components are then unset
 * @param caFile                PEM file of CA certificates, or null
 * @param loadAllCaCertificates trust every certificate of the file (up to 50), not only the first
 * @param clientCertFile        PEM client certificate (with its chain, if any), or null
 * @param clientKeyFile         its RSA private key: PEM (PKCS#8 or PKCS#1, unencrypted) or DER PKCS#8, or null
 * @param verifyHostname        with a CA file, check that the certificate names the host
 */
public record SslSettings(boolean enabled, Path caFile, boolean loadAllCaCertificates, Path clientCertFile,
                          Path clientKeyFile, boolean verifyHostname) {

    /** {@code ssl: false}: plain connections, also to a server that offers SSL. */
    public static final SslSettings DISABLED = new SslSettings(false, null, false, null, null, false);

    public static final int MAX_CA_CERTIFICATES = 50;

    static final String CA_FILE = "pgingest.sslCaFile";
    static final String LOAD_ALL = "pgingest.sslLoadAllCaCertificates";
    static final String CLIENT_CERT = "pgingest.sslClientCertFile";
    static final String CLIENT_KEY = "pgingest.sslClientKeyFile";
    static final String TUNNELLED_HOST = "pgingest.sslTunnelledHost";

    /** pgjdbc's {@code sslmode}. */
    public String sslMode() {
        return !enabled ? "disable" : caFile == null ? "require" : verifyHostname ? "verify-full" : "verify-ca";
    }

    /**
     * The connection properties that make pgjdbc use these settings: {@code sslmode}, {@code sslfactory} and the
     * files for {@link PgIngestSslFactory}, which pgjdbc hands every connection property. {@code tunnelledHost}: the
     * source's host when the connection goes through an SSH tunnel (null otherwise), which the host name check uses.
     */
    public Map<String, String> jdbcProperties(String tunnelledHost) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("sslmode", sslMode());
        if (!enabled) {
            return p;
        }
        p.put("sslfactory", PgIngestSslFactory.class.getName());
        if (tunnelledHost != null) {
            // through an SSH tunnel the driver connects to 127.0.0.1: the certificate must name the source's host
            p.put(TUNNELLED_HOST, tunnelledHost);
            p.put("sslhostnameverifier", TunnelledHostVerifier.class.getName());
        }
        if (caFile != null) {
            p.put(CA_FILE, caFile.toString());
            p.put(LOAD_ALL, Boolean.toString(loadAllCaCertificates));
        }
        if (clientCertFile != null) {
            p.put(CLIENT_CERT, clientCertFile.toString());
            p.put(CLIENT_KEY, clientKeyFile.toString());
        }
        return p;
    }

    /** The settings {@link #jdbcProperties} wrote, read back by the socket factory. */
    static SslSettings fromJdbcProperties(java.util.Properties p) {
        String ca = p.getProperty(CA_FILE);
        String cert = p.getProperty(CLIENT_CERT);
        String key = p.getProperty(CLIENT_KEY);
        return new SslSettings(true, ca == null ? null : Path.of(ca), Boolean.parseBoolean(p.getProperty(LOAD_ALL)),
                cert == null ? null : Path.of(cert), key == null ? null : Path.of(key),
                "verify-full".equals(p.getProperty("sslmode")));
    }
}
