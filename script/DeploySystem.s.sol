// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {LendingPool} from "../src/LendingPool.sol";
import {IGoverned} from "../src/interfaces/IGoverned.sol";
import {ILendingPool} from "../src/interfaces/ILendingPool.sol";
import {ILendingPoolAdmin} from "../src/interfaces/ILendingPoolAdmin.sol";
import {ILendingPoolTypes} from "../src/interfaces/ILendingPoolTypes.sol";
import {IValuationAdmin} from "../src/interfaces/IValuationAdmin.sol";
import {DutchAuction} from "../src/liquidation/DutchAuction.sol";
import {Valuation} from "../src/oracle/Valuation.sol";
import {LendingPoolExtension} from "../src/pool/LendingPoolExtension.sol";
import {TraitPricer} from "../src/pricer/TraitPricer.sol";
import {DefaultParams} from "./lib/DefaultParams.sol";
import {ISafe} from "./lib/ISafe.sol";
import {SafeOps} from "./lib/SafeOps.sol";
import {DemoApes, DemoItems, LocalFloorFeed} from "./local/LocalAssets.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
import {Script, console2} from "forge-std/Script.sol";
import {WETH} from "solady/tokens/WETH.sol";

/// @notice Deploys and configures the whole system, then hands every power to a Safe behind a 48 h timelock:
/// a real Safe 1.4.1 (deployed from the artifacts of the npm package safe-global/safe-contracts, 2-of-3 by
/// default), an OpenZeppelin TimelockController, ERC-1967 proxies for Valuation, TraitPricer, LendingPool and DutchAuction, and, on a local
/// chain, a WETH, two collections (ERC-721 and ERC-1155) and their floor feeds.
///
/// Bootstrap without a privileged window after the script: the timelock is created with a zero delay, the deployer as
/// its only proposer and executor, and no external admin (it administers itself). The deployer then schedules and
/// executes ONE batch through it that configures every contract, raises the delay to 48 h, grants proposer, canceller
/// and executor to the Safe and revokes every role of the deployer. The script then checks the result (`check`) and
/// reverts if any EOA kept a role, a delay is short, a proxy points elsewhere or an implementation can be initialised.
///
/// Inputs come from the environment, never from the command line (see `config`). The broadcaster is
/// DEPLOYER_PRIVATE_KEY when set, else forge's keystore wallet (ETH_KEYSTORE + ETH_PASSWORD).
contract DeploySystem is Script, SafeOps {
    uint256 public constant MIN_TIMELOCK_DELAY = 48 hours;
    bytes32 internal constant BOOTSTRAP_SALT = keccak256("nftlend.bootstrap");
    /// @dev ERC-1967 implementation slot: bytes32(uint256(keccak256("eip1967.proxy.implementation")) - 1).
    /// @dev solady Initializable's `InvalidInitialization()`.
    bytes4 internal constant INVALID_INITIALIZATION = 0xf92ee8a9;
    bytes32 internal constant IMPLEMENTATION_SLOT = 0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc;

    /// @notice What to deploy. Zero addresses mean "deploy a local stand-in" (assets) or "use the Safe" (guardian).
    struct Config {
        address[] safeOwners;
        uint256 safeThreshold;
        uint256 safeSalt;
        address existingSafe; // use this Safe instead of creating one
        SafeInfra safeInfra; // reuse these Safe contracts instead of deploying them (all three or none)
        address guardian; // zero: the Safe
        address reporter; // oracle service key authorised to report sales
        address traitSigner; // key that signs trait Merkle roots
        address feedUpdater; // key that moves the local floor feeds (local chain only)
        uint256 timelockDelay;
        address asset; // zero: deploy a WETH
        address apes; // ERC-721 collection; zero: deploy DemoApes
        address apesFeed;
        address items; // ERC-1155 collection; zero: deploy DemoItems
        address itemsFeed;
        int256 apesFloor; // initial answer of a local feed (18 decimals)
        int256 itemsFloor;
        address sequencerFeed; // L2 sequencer uptime feed; zero on L1 and local chains
        uint256 debtCeiling; // per collection, in asset units
    }

    /// @notice Everything deployed (written to DEPLOY_OUT as JSON for the TypeScript orchestrator).
    struct Deployment {
        address deployer;
        address safe;
        SafeInfra safeInfra;
        address timelock;
        address guardian;
        address asset;
        address apes;
        address apesFeed;
        address items;
        address itemsFeed;
        address valuation;
        address valuationImpl;
        address traitPricer;
        address traitPricerImpl;
        address pool;
        address poolImpl;
        address poolExtension;
        address auction;
        address auctionImpl;
        uint256 startBlock;
    }

    /// @notice A post-deployment check failed; `what` says which.
    error DeploymentCheckFailed(string what);
    /// @notice The configuration is unusable; `what` says why.
    error InvalidConfig(string what);

    /*//////////////////////////////////////////////////////////////
                                ENTRY POINT
    //////////////////////////////////////////////////////////////*/

    function run() external returns (Deployment memory d) {
        Config memory cfg = config();
        uint256 key = vm.envOr("DEPLOYER_PRIVATE_KEY", uint256(0));
        address deployer;
        if (key != 0) {
            deployer = vm.addr(key);
            vm.startBroadcast(key);
        } else {
            // forge's own wallet (keystore): it is the script's sender.
            deployer = msg.sender;
            vm.startBroadcast();
        }
        d = deploy(cfg, deployer);
        vm.stopBroadcast();
        check(d, cfg);
        string memory out = vm.envOr("DEPLOY_OUT", string(""));
        if (bytes(out).length != 0) vm.writeJson(toJson(d, cfg), out);
        console2.log("safe", d.safe);
        console2.log("timelock", d.timelock);
        console2.log("pool", d.pool);
    }

    /// @notice Reads the configuration from the environment. Required: SAFE_OWNERS (comma-separated) unless SAFE is
    /// set, ORACLE_REPORTER, TRAIT_SIGNER. Optional: SAFE_THRESHOLD (2), SAFE_SALT, SAFE_SINGLETON +
    /// SAFE_PROXY_FACTORY + SAFE_FALLBACK_HANDLER, GUARDIAN (the Safe), FEED_UPDATER (the reporter),
    /// TIMELOCK_DELAY (48 h, never less), ASSET, COLLECTION_721 + FEED_721, COLLECTION_1155 + FEED_1155,
    /// SEQUENCER_FEED, DEBT_CEILING.
    function config() public view returns (Config memory cfg) {
        cfg.existingSafe = vm.envOr("SAFE", address(0));
        if (cfg.existingSafe == address(0)) cfg.safeOwners = vm.envAddress("SAFE_OWNERS", ",");
        cfg.safeThreshold = vm.envOr("SAFE_THRESHOLD", uint256(2));
        cfg.safeSalt = vm.envOr("SAFE_SALT", uint256(0));
        cfg.safeInfra = SafeInfra({
            singleton: vm.envOr("SAFE_SINGLETON", address(0)),
            factory: vm.envOr("SAFE_PROXY_FACTORY", address(0)),
            fallbackHandler: vm.envOr("SAFE_FALLBACK_HANDLER", address(0))
        });
        cfg.guardian = vm.envOr("GUARDIAN", address(0));
        cfg.reporter = vm.envAddress("ORACLE_REPORTER");
        cfg.traitSigner = vm.envAddress("TRAIT_SIGNER");
        cfg.feedUpdater = vm.envOr("FEED_UPDATER", cfg.reporter);
        cfg.timelockDelay = vm.envOr("TIMELOCK_DELAY", MIN_TIMELOCK_DELAY);
        cfg.asset = vm.envOr("ASSET", address(0));
        cfg.apes = vm.envOr("COLLECTION_721", address(0));
        cfg.apesFeed = vm.envOr("FEED_721", address(0));
        cfg.items = vm.envOr("COLLECTION_1155", address(0));
        cfg.itemsFeed = vm.envOr("FEED_1155", address(0));
        cfg.apesFloor = int256(vm.envOr("LOCAL_FLOOR_721", uint256(30 ether)));
        cfg.itemsFloor = int256(vm.envOr("LOCAL_FLOOR_1155", uint256(1.5 ether)));
        cfg.sequencerFeed = vm.envOr("SEQUENCER_FEED", address(0));
        cfg.debtCeiling = vm.envOr("DEBT_CEILING", uint256(1000 ether));
    }

    /*//////////////////////////////////////////////////////////////
                                 DEPLOY
    //////////////////////////////////////////////////////////////*/

    /// @notice Deploys and configures everything; `deployer` is the account these calls come from (the broadcaster
    /// in a script, the caller's own address in a test). Leaves `deployer` without any role.
    function deploy(Config memory cfg, address deployer) public returns (Deployment memory d) {
        _validate(cfg);
        d.deployer = deployer;
        d.startBlock = block.number;

        // 1. The Safe: from the artifacts (or an existing one).
        if (cfg.existingSafe != address(0)) {
            d.safe = cfg.existingSafe;
        } else {
            d.safeInfra = cfg.safeInfra.singleton != address(0) ? cfg.safeInfra : _deploySafeInfra();
            d.safe = address(_createSafe(d.safeInfra, cfg.safeOwners, cfg.safeThreshold, cfg.safeSalt));
        }
        d.guardian = cfg.guardian == address(0) ? d.safe : cfg.guardian;

        // 2. The timelock, bootstrapped: zero delay, the deployer as sole proposer/executor, no external admin.
        address[] memory bootstrap = new address[](1);
        bootstrap[0] = deployer;
        d.timelock = address(new TimelockController(0, bootstrap, bootstrap, address(0)));

        // 3. Assets (local stand-ins unless configured).
        _assets(cfg, d);

        // 4. Core contracts behind ERC-1967 proxies, initialised with the timelock and guardian.
        d.valuationImpl = address(new Valuation(cfg.sequencerFeed, 1 hours));
        d.valuation = address(
            new ERC1967Proxy(
                d.valuationImpl,
                abi.encodeCall(Valuation.initialize, (d.timelock, d.guardian, WETH(payable(d.asset)).decimals()))
            )
        );
        d.traitPricerImpl = address(new TraitPricer());
        d.traitPricer = address(
            new ERC1967Proxy(
                d.traitPricerImpl, abi.encodeCall(TraitPricer.initialize, (d.timelock, d.guardian, cfg.traitSigner))
            )
        );
        d.poolExtension = address(new LendingPoolExtension(d.asset, d.valuation));
        d.poolImpl = address(new LendingPool(d.asset, d.valuation, d.poolExtension));
        d.pool = address(
            new ERC1967Proxy(
                d.poolImpl,
                abi.encodeCall(
                    LendingPool.initialize,
                    (
                        vm.envOr("POOL_NAME", string("NFT Pool WETH")),
                        vm.envOr("POOL_SYMBOL", string("npWETH")),
                        d.timelock,
                        d.guardian,
                        d.safe,
                        defaultRateConfig()
                    )
                )
            )
        );
        d.auctionImpl = address(new DutchAuction(ILendingPool(d.pool)));
        d.auction = address(
            new ERC1967Proxy(d.auctionImpl, abi.encodeCall(DutchAuction.initialize, (d.pool, d.timelock, d.guardian)))
        );

        // 5. One batch through the timelock: configuration, then the hand-over.
        (address[] memory targets, bytes[] memory payloads) = _bootstrapBatch(cfg, d);
        uint256[] memory values = new uint256[](targets.length);
        TimelockController tl = TimelockController(payable(d.timelock));
        tl.scheduleBatch(targets, values, payloads, bytes32(0), BOOTSTRAP_SALT, 0);
        tl.executeBatch(targets, values, payloads, bytes32(0), BOOTSTRAP_SALT);
    }

    function _validate(Config memory cfg) internal pure {
        if (cfg.timelockDelay < MIN_TIMELOCK_DELAY) revert InvalidConfig("TIMELOCK_DELAY below 48 h");
        if (cfg.existingSafe == address(0)) {
            if (cfg.safeOwners.length == 0) revert InvalidConfig("SAFE_OWNERS is empty");
            if (cfg.safeThreshold == 0 || cfg.safeThreshold > cfg.safeOwners.length) {
                revert InvalidConfig("SAFE_THRESHOLD must be between 1 and the number of owners");
            }
            bool some = cfg.safeInfra.singleton != address(0) || cfg.safeInfra.factory != address(0)
                || cfg.safeInfra.fallbackHandler != address(0);
            bool all = cfg.safeInfra.singleton != address(0) && cfg.safeInfra.factory != address(0)
                && cfg.safeInfra.fallbackHandler != address(0);
            if (some && !all) {
                revert InvalidConfig("set all of SAFE_SINGLETON, SAFE_PROXY_FACTORY, SAFE_FALLBACK_HANDLER");
            }
        }
        if (cfg.reporter == address(0)) revert InvalidConfig("ORACLE_REPORTER is zero");
        if (cfg.traitSigner == address(0)) revert InvalidConfig("TRAIT_SIGNER is zero");
        if ((cfg.apes == address(0)) != (cfg.apesFeed == address(0))) {
            revert InvalidConfig("set both COLLECTION_721 and FEED_721, or neither");
        }
        if ((cfg.items == address(0)) != (cfg.itemsFeed == address(0))) {
            revert InvalidConfig("set both COLLECTION_1155 and FEED_1155, or neither");
        }
    }

    function _assets(Config memory cfg, Deployment memory d) internal {
        d.asset = cfg.asset == address(0) ? address(new WETH()) : cfg.asset;
        if (cfg.apes == address(0)) {
            d.apes = address(new DemoApes());
            d.apesFeed = address(new LocalFloorFeed(cfg.feedUpdater, 18, "DAPE / WETH floor", cfg.apesFloor));
        } else {
            (d.apes, d.apesFeed) = (cfg.apes, cfg.apesFeed);
        }
        if (cfg.items == address(0)) {
            d.items = address(new DemoItems());
            d.itemsFeed = address(new LocalFloorFeed(cfg.feedUpdater, 18, "DITEM / WETH floor", cfg.itemsFloor));
        } else {
            (d.items, d.itemsFeed) = (cfg.items, cfg.itemsFeed);
        }
    }

    /// @dev Every configuration call, then: delay to 48 h, Safe gets proposer + canceller + executor, the deployer
    /// loses every role. Executed atomically, so either all of it holds or none.
    function _bootstrapBatch(
        Config memory cfg,
        Deployment memory d
    ) internal view returns (address[] memory targets, bytes[] memory payloads) {
        TimelockController tl = TimelockController(payable(d.timelock));
        targets = new address[](15);
        payloads = new bytes[](15);
        uint256 n;
        // Valuation: both collections priced by their floor feed (18 decimals, 1-day heartbeat), the oracle service
        // as reporter, trait premiums from the pricer.
        (targets[n], payloads[n++]) = (d.valuation, _listCall(d.apes, d.apesFeed));
        (targets[n], payloads[n++]) = (d.valuation, _listCall(d.items, d.itemsFeed));
        (targets[n], payloads[n++]) = (d.valuation, abi.encodeCall(IValuationAdmin.setReporter, (cfg.reporter, true)));
        (targets[n], payloads[n++]) = (d.valuation, abi.encodeCall(IValuationAdmin.setTraitPricer, (d.traitPricer)));
        (targets[n], payloads[n++]) = (d.traitPricer, abi.encodeCall(TraitPricer.enableCollection, (d.apes)));
        // Pool: the auction as liquidation module, both collections listed.
        (targets[n], payloads[n++]) = (d.pool, abi.encodeCall(ILendingPoolAdmin.setLiquidator, (d.auction)));
        (targets[n], payloads[n++]) =
        (d.pool, abi.encodeCall(ILendingPoolAdmin.setTerms, (d.apes, defaultTerms(1), cfg.debtCeiling)));
        (targets[n], payloads[n++]) =
        (d.pool, abi.encodeCall(ILendingPoolAdmin.setTerms, (d.items, defaultTerms(2), cfg.debtCeiling)));
        // Hand-over.
        (targets[n], payloads[n++]) = (d.timelock, abi.encodeCall(TimelockController.updateDelay, (cfg.timelockDelay)));
        (targets[n], payloads[n++]) =
        (d.timelock, abi.encodeCall(IAccessControl.grantRole, (tl.PROPOSER_ROLE(), d.safe)));
        (targets[n], payloads[n++]) =
        (d.timelock, abi.encodeCall(IAccessControl.grantRole, (tl.CANCELLER_ROLE(), d.safe)));
        (targets[n], payloads[n++]) =
        (d.timelock, abi.encodeCall(IAccessControl.grantRole, (tl.EXECUTOR_ROLE(), d.safe)));
        (targets[n], payloads[n++]) =
        (d.timelock, abi.encodeCall(IAccessControl.revokeRole, (tl.PROPOSER_ROLE(), d.deployer)));
        (targets[n], payloads[n++]) =
        (d.timelock, abi.encodeCall(IAccessControl.revokeRole, (tl.CANCELLER_ROLE(), d.deployer)));
        (targets[n], payloads[n++]) =
        (d.timelock, abi.encodeCall(IAccessControl.revokeRole, (tl.EXECUTOR_ROLE(), d.deployer)));
    }

    function _listCall(address collection, address feed) internal pure returns (bytes memory) {
        return abi.encodeCall(
            IValuationAdmin.listCollection,
            (collection, feed, uint24(1 days), uint96(0.000_001 ether), uint96(100_000 ether), uint88(100_000 ether))
        );
    }

    /// @notice The default rate model: 2 % base, +15 % to the 75 % kink, +150 % above; 10 % reserve factor.
    function defaultRateConfig() public pure returns (ILendingPoolTypes.RateConfig memory) {
        return DefaultParams.rateConfig(0.01 ether);
    }

    /// @notice Default listing terms: 50 % LTV, 70 % liquidation threshold, 65 % haircut, 30-day loans with 2 days'
    /// grace, 36 h auctions from 120 % of the value down to 50 %, a 5 % penalty shared half with the keeper.
    function defaultTerms(uint8 standard) public pure returns (ILendingPoolTypes.Terms memory) {
        return DefaultParams.terms(standard);
    }

    /*//////////////////////////////////////////////////////////////
                                  CHECK
    //////////////////////////////////////////////////////////////*/

    /// @notice Reverts with `DeploymentCheckFailed` unless the deployment is what governance requires: the timelock's
    /// delay, the Safe as sole proposer/canceller/executor, no role left with the deployer, a Safe owner or a separate
    /// guardian, the timelock administering itself, every proxy pointing at its implementation and governed by the
    /// timelock, no implementation initialisable, and the Safe's owners and threshold as configured.
    function check(Deployment memory d, Config memory cfg) public {
        TimelockController tl = TimelockController(payable(d.timelock));
        _require(tl.getMinDelay() == cfg.timelockDelay, "timelock delay");
        _require(tl.getMinDelay() >= MIN_TIMELOCK_DELAY, "timelock delay below 48 h");
        bytes32[4] memory roles = [tl.DEFAULT_ADMIN_ROLE(), tl.PROPOSER_ROLE(), tl.CANCELLER_ROLE(), tl.EXECUTOR_ROLE()];
        for (uint256 i; i < roles.length; ++i) {
            _require(!tl.hasRole(roles[i], d.deployer), "deployer kept a timelock role");
            _require(!tl.hasRole(roles[i], address(0)), "a timelock role is open to anyone");
            if (d.guardian != d.safe) _require(!tl.hasRole(roles[i], d.guardian), "guardian holds a timelock role");
            address[] memory owners = ISafe(d.safe).getOwners();
            for (uint256 j; j < owners.length; ++j) {
                _require(!tl.hasRole(roles[i], owners[j]), "a Safe owner holds a timelock role directly");
            }
        }
        _require(tl.hasRole(roles[0], d.timelock), "timelock does not administer itself");
        _require(!tl.hasRole(roles[0], d.safe), "Safe is timelock admin");
        _require(tl.hasRole(roles[1], d.safe), "Safe is not proposer");
        _require(tl.hasRole(roles[2], d.safe), "Safe is not canceller");
        _require(tl.hasRole(roles[3], d.safe), "Safe is not executor");

        _checkProxy(d.valuation, d.valuationImpl, d);
        _checkProxy(d.traitPricer, d.traitPricerImpl, d);
        _checkProxy(d.pool, d.poolImpl, d);
        _checkProxy(d.auction, d.auctionImpl, d);
        _checkImplementationsLocked(d);

        ILendingPool pool = ILendingPool(d.pool);
        _require(pool.liquidator() == d.auction, "pool liquidator");
        _require(pool.custody() == d.safe, "pool custody");
        _require(pool.valuation() == d.valuation, "pool valuation");
        _require(pool.asset() == d.asset, "pool asset");
        _require(DutchAuction(d.auction).pool() == d.pool, "auction pool");
        _require(IValuationAdmin(d.valuation).traitPricer() == d.traitPricer, "valuation trait pricer");
        _require(IValuationAdmin(d.valuation).isReporter(cfg.reporter), "oracle reporter");
        _require(TraitPricer(d.traitPricer).signer() == cfg.traitSigner, "trait signer");

        ISafe safe = ISafe(d.safe);
        if (cfg.existingSafe == address(0)) {
            _require(_safeSingleton(d.safe) == d.safeInfra.singleton, "Safe singleton");
            _require(safe.getThreshold() == cfg.safeThreshold, "Safe threshold");
            address[] memory owners = safe.getOwners();
            _require(owners.length == cfg.safeOwners.length, "Safe owner count");
            for (uint256 i; i < cfg.safeOwners.length; ++i) {
                _require(safe.isOwner(cfg.safeOwners[i]), "Safe owner missing");
            }
        }
        _require(safe.getThreshold() >= 1 && d.safe.code.length != 0, "Safe");
    }

    function _checkProxy(address proxy, address impl, Deployment memory d) internal view {
        _require(address(uint160(uint256(vm.load(proxy, IMPLEMENTATION_SLOT)))) == impl, "proxy implementation slot");
        _require(IGoverned(proxy).timelock() == d.timelock, "proxy timelock");
        _require(IGoverned(proxy).guardian() == d.guardian, "proxy guardian");
        _require(IGoverned(impl).timelock() == address(0), "implementation has state");
    }

    /// @dev Calls each implementation's initialiser as a stranger would; every call must revert.
    function _checkImplementationsLocked(Deployment memory d) internal {
        address x = address(0xdead);
        _mustRevert(d.valuationImpl, abi.encodeCall(Valuation.initialize, (x, x, 18)), "Valuation implementation");
        _mustRevert(d.traitPricerImpl, abi.encodeCall(TraitPricer.initialize, (x, x, x)), "TraitPricer implementation");
        _mustRevert(
            d.poolImpl,
            abi.encodeCall(LendingPool.initialize, ("x", "x", x, x, x, defaultRateConfig())),
            "LendingPool implementation"
        );
        _mustRevert(
            d.auctionImpl, abi.encodeCall(DutchAuction.initialize, (d.pool, x, x)), "DutchAuction implementation"
        );
    }

    function _mustRevert(address target, bytes memory data, string memory what) internal {
        // A real call (never broadcast: `check` runs after the broadcast). Only solady's InvalidInitialization()
        // counts as locked: any other failure (a bad argument, an out-of-gas) would hide an open initialiser.
        (bool ok, bytes memory ret) = target.call(data);
        _require(
            !ok && ret.length == 4 && bytes4(ret) == INVALID_INITIALIZATION, string.concat(what, " can be initialised")
        );
    }

    function _require(bool ok, string memory what) internal pure {
        if (!ok) revert DeploymentCheckFailed(what);
    }

    /*//////////////////////////////////////////////////////////////
                                 OUTPUT
    //////////////////////////////////////////////////////////////*/

    function toJson(Deployment memory d, Config memory cfg) public returns (string memory json) {
        string memory k = "deployment";
        vm.serializeAddress(k, "deployer", d.deployer);
        vm.serializeAddress(k, "safe", d.safe);
        vm.serializeAddress(k, "safeSingleton", d.safeInfra.singleton);
        vm.serializeAddress(k, "safeProxyFactory", d.safeInfra.factory);
        vm.serializeAddress(k, "safeFallbackHandler", d.safeInfra.fallbackHandler);
        vm.serializeAddress(k, "safeOwners", ISafe(d.safe).getOwners());
        vm.serializeUint(k, "safeThreshold", ISafe(d.safe).getThreshold());
        vm.serializeAddress(k, "timelock", d.timelock);
        vm.serializeUint(k, "timelockDelay", cfg.timelockDelay);
        vm.serializeAddress(k, "guardian", d.guardian);
        vm.serializeAddress(k, "oracleReporter", cfg.reporter);
        vm.serializeAddress(k, "traitSigner", cfg.traitSigner);
        vm.serializeAddress(k, "asset", d.asset);
        vm.serializeAddress(k, "collection721", d.apes);
        vm.serializeAddress(k, "feed721", d.apesFeed);
        vm.serializeAddress(k, "collection1155", d.items);
        vm.serializeAddress(k, "feed1155", d.itemsFeed);
        vm.serializeAddress(k, "valuation", d.valuation);
        vm.serializeAddress(k, "valuationImpl", d.valuationImpl);
        vm.serializeAddress(k, "traitPricer", d.traitPricer);
        vm.serializeAddress(k, "traitPricerImpl", d.traitPricerImpl);
        vm.serializeAddress(k, "pool", d.pool);
        vm.serializeAddress(k, "poolImpl", d.poolImpl);
        vm.serializeAddress(k, "poolExtension", d.poolExtension);
        vm.serializeAddress(k, "auction", d.auction);
        vm.serializeAddress(k, "auctionImpl", d.auctionImpl);
        vm.serializeBool(k, "localAssets", cfg.apes == address(0));
        json = vm.serializeUint(k, "startBlock", d.startBlock);
    }
}
