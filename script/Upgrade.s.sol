// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {LendingPool} from "../src/LendingPool.sol";
import {ILendingPool} from "../src/interfaces/ILendingPool.sol";
import {DutchAuction} from "../src/liquidation/DutchAuction.sol";
import {Valuation} from "../src/oracle/Valuation.sol";
import {LendingPoolExtension} from "../src/pool/LendingPoolExtension.sol";
import {TraitPricer} from "../src/pricer/TraitPricer.sol";
import {ISafe} from "./lib/ISafe.sol";
import {SafeOps} from "./lib/SafeOps.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {Script, console2} from "forge-std/Script.sol";
import {UUPSUpgradeable} from "solady/utils/UUPSUpgradeable.sol";

/// @notice Upgrades one core proxy the only way it can be: the Safe schedules `upgradeToAndCall` on the timelock, and
/// after the timelock's delay the Safe executes it.
///
///   propose(): refuses an implementation whose storage layout is not an append-only extension of the committed
///              snapshot (`snapshots/layout/<Contract>.json`, checked by ts/deploy/layout-guard.ts over FFI with the
///              audit tooling), and a pool implementation over a pool of an older loan format that holds loans or
///              auctions (`checkLoanFormat`), deploys the new implementation from src/ (unless UPGRADE_IMPLEMENTATION is given),
///              and has the Safe schedule the call with the timelock's minimum delay.
///   execute(): after the delay, has the Safe execute the scheduled call, then checks the proxy's implementation slot.
///
/// Environment (never the command line): UPGRADE_CONTRACT (LendingPool | Valuation | TraitPricer | DutchAuction),
/// UPGRADE_PROXY, TIMELOCK, SAFE; owners' approval as SAFE_OWNER_KEYS (comma-separated keys, local chains) or
/// SAFE_SIGNATURES (pre-collected, sorted by owner, 65 bytes each) for each step; optional UPGRADE_IMPLEMENTATION,
/// UPGRADE_CALL (calldata for the new implementation), UPGRADE_SALT, LAYOUT_SNAPSHOT (another snapshot file),
/// UPGRADE_OUT (a JSON file for the implementation, operation id and ready time).
/// The transactions are sent by DEPLOYER_PRIVATE_KEY or forge's keystore wallet (any account: the Safe authorises).
contract Upgrade is Script, SafeOps {
    /// @dev ERC-1967 implementation slot.
    bytes32 internal constant IMPLEMENTATION_SLOT = 0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc;
    /// @dev The loan format of the pool in src/ (`LendingPoolExtension.LOAN_FORMAT`).
    uint256 internal constant LOAN_FORMAT = 2;

    struct Plan {
        string name; // the contract's name in src/ (and its layout snapshot)
        address proxy;
        address implementation; // zero in propose(): deploy one
        bytes call; // data for upgradeToAndCall (may be empty)
        TimelockController timelock;
        ISafe safe;
        bytes32 salt;
    }

    error LayoutNotAppendOnly(string name, string why);
    error UnknownContract(string name);
    error NotReady(bytes32 id, uint256 readyAt, uint256 blockTimestamp);
    error UpgradeNotApplied(address proxy, address implementation, address found);
    error UpgradeNeedsEmptyBook(address pool, uint256 liveDebt, uint256 auctionDebt);

    event UpgradeScheduled(bytes32 indexed id, address indexed proxy, address implementation, uint256 readyAt);

    /*//////////////////////////////////////////////////////////////
                              ENTRY POINTS
    //////////////////////////////////////////////////////////////*/

    function propose() external returns (bytes32 id, address implementation) {
        Plan memory p = planFromEnv();
        checkLayout(p.name, vm.envOr("LAYOUT_SNAPSHOT", string("")));
        if (keccak256(bytes(p.name)) == keccak256("LendingPool")) checkLoanFormat(p.proxy);
        _startBroadcast();
        if (p.implementation == address(0)) p.implementation = deployImplementation(p.name, p.proxy);
        id = schedule(p, _approval(p, _scheduleCall(p)));
        vm.stopBroadcast();
        implementation = p.implementation;
        console2.log("implementation", implementation);
        console2.log("operation id");
        console2.logBytes32(id);
        console2.log("ready at", p.timelock.getTimestamp(id));
        string memory out = vm.envOr("UPGRADE_OUT", string(""));
        if (bytes(out).length != 0) {
            vm.serializeAddress("upgrade", "implementation", implementation);
            vm.serializeBytes32("upgrade", "operation", id);
            vm.writeJson(vm.serializeUint("upgrade", "readyAt", p.timelock.getTimestamp(id)), out);
        }
    }

    function execute() external {
        Plan memory p = planFromEnv();
        if (p.implementation == address(0)) revert UnknownContract("UPGRADE_IMPLEMENTATION is required to execute");
        // Again at execution: loans opened during the timelock's delay would otherwise be stranded by a new format.
        if (keccak256(bytes(p.name)) == keccak256("LendingPool")) checkLoanFormat(p.proxy);
        _startBroadcast();
        executeScheduled(p, _approval(p, _executeCall(p)));
        vm.stopBroadcast();
        console2.log("upgraded", p.proxy, "to", p.implementation);
    }

    function planFromEnv() public view returns (Plan memory p) {
        p.name = vm.envString("UPGRADE_CONTRACT");
        p.proxy = vm.envAddress("UPGRADE_PROXY");
        p.implementation = vm.envOr("UPGRADE_IMPLEMENTATION", address(0));
        p.call = vm.envOr("UPGRADE_CALL", bytes(""));
        p.timelock = TimelockController(payable(vm.envAddress("TIMELOCK")));
        p.safe = ISafe(vm.envAddress("SAFE"));
        p.salt = vm.envOr("UPGRADE_SALT", bytes32(0));
    }

    /*//////////////////////////////////////////////////////////////
                                  STEPS
    //////////////////////////////////////////////////////////////*/

    /// @notice Reverts with `LayoutNotAppendOnly` unless `name`'s layout in src/ extends its snapshot (`snapshot`, or
    /// the committed one when empty) append-only.
    function checkLayout(string memory name, string memory snapshot) public {
        string[] memory cmd = new string[](bytes(snapshot).length == 0 ? 4 : 5);
        cmd[0] = "node_modules/.bin/tsx";
        cmd[1] = "ts/deploy/layout-guard.ts";
        cmd[2] = "--abi";
        cmd[3] = name;
        if (cmd.length == 5) cmd[4] = snapshot;
        (bool ok, string memory why) = abi.decode(vm.ffi(cmd), (bool, string));
        if (!ok) revert LayoutNotAppendOnly(name, why);
    }

    /// @notice Reverts with `UpgradeNeedsEmptyBook` when `proxy` is a pool of an older loan format than src/'s
    /// (`LOAN_FORMAT`, absent before format 2) that holds live debt or running auctions. Format 2 (issue 15) commits
    /// a loan as 15 words (the absolute premium and its multiple, the outage base), so an older loan's hash no longer matches, and it
    /// starts the exposure counters (a collection's debt frozen in auctions, a borrower's outstanding principal) at
    /// zero, so an older auction's settlement would erase a newer auction's debt from the exposure and an older loan's
    /// repayment a newer loan's principal from the borrower's (review 2 of issue 15). No pool was deployed before
    /// format 2; one that was can take it once its book is empty (every loan repaid or auctioned and settled).
    function checkLoanFormat(address proxy) public view {
        (bool ok, bytes memory ret) = proxy.staticcall(abi.encodeWithSignature("LOAN_FORMAT()"));
        if (ok && ret.length == 32 && abi.decode(ret, (uint256)) == LOAN_FORMAT) return;
        ILendingPool pool = ILendingPool(proxy);
        uint256 live = pool.totalDebt();
        uint256 frozen = pool.auctionDebt();
        if (live != 0 || frozen != 0) revert UpgradeNeedsEmptyBook(proxy, live, frozen);
    }

    /// @notice Deploys a new implementation of `name` from src/ with the constructor arguments of `proxy`'s current one.
    function deployImplementation(string memory name, address proxy) public returns (address impl) {
        bytes32 n = keccak256(bytes(name));
        if (n == keccak256("LendingPool")) {
            ILendingPool pool = ILendingPool(proxy);
            address ext = address(new LendingPoolExtension(pool.asset(), pool.valuation()));
            impl = address(new LendingPool(pool.asset(), pool.valuation(), ext));
        } else if (n == keccak256("Valuation")) {
            Valuation current = Valuation(address(uint160(uint256(vm.load(proxy, IMPLEMENTATION_SLOT)))));
            impl = address(new Valuation(current.SEQUENCER_FEED(), current.SEQUENCER_GRACE()));
        } else if (n == keccak256("TraitPricer")) {
            impl = address(new TraitPricer());
        } else if (n == keccak256("DutchAuction")) {
            impl = address(new DutchAuction(ILendingPool(DutchAuction(proxy).pool())));
        } else {
            revert UnknownContract(name);
        }
    }

    /// @notice The Safe schedules `upgradeToAndCall` on the timelock with its minimum delay. Returns the operation id.
    function schedule(Plan memory p, bytes memory signatures) public returns (bytes32 id) {
        _execSafeTxWithSignatures(p.safe, address(p.timelock), 0, _scheduleCall(p), signatures);
        id = operationId(p);
        emit UpgradeScheduled(id, p.proxy, p.implementation, p.timelock.getTimestamp(id));
    }

    /// @notice The Safe executes the scheduled upgrade; reverts `NotReady` before the delay has passed.
    function executeScheduled(Plan memory p, bytes memory signatures) public {
        bytes32 id = operationId(p);
        if (!p.timelock.isOperationReady(id)) revert NotReady(id, p.timelock.getTimestamp(id), block.timestamp);
        _execSafeTxWithSignatures(p.safe, address(p.timelock), 0, _executeCall(p), signatures);
        address found = address(uint160(uint256(vm.load(p.proxy, IMPLEMENTATION_SLOT))));
        if (found != p.implementation) revert UpgradeNotApplied(p.proxy, p.implementation, found);
    }

    function operationId(Plan memory p) public pure returns (bytes32) {
        return keccak256(abi.encode(p.proxy, uint256(0), _upgradeData(p), bytes32(0), p.salt));
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    function _upgradeData(Plan memory p) internal pure returns (bytes memory) {
        return abi.encodeCall(UUPSUpgradeable.upgradeToAndCall, (p.implementation, p.call));
    }

    function _scheduleCall(Plan memory p) internal view returns (bytes memory) {
        return abi.encodeCall(
            TimelockController.schedule, (p.proxy, 0, _upgradeData(p), bytes32(0), p.salt, p.timelock.getMinDelay())
        );
    }

    function _executeCall(Plan memory p) internal pure returns (bytes memory) {
        return abi.encodeCall(TimelockController.execute, (p.proxy, 0, _upgradeData(p), bytes32(0), p.salt));
    }

    /// @dev The owners' approval of the Safe transaction `data` to the timelock: signed here with SAFE_OWNER_KEYS, or
    /// taken from SAFE_SIGNATURES.
    function _approval(Plan memory p, bytes memory data) internal view returns (bytes memory) {
        bytes memory given = vm.envOr("SAFE_SIGNATURES", bytes(""));
        if (given.length != 0) return given;
        uint256[] memory keys = vm.envUint("SAFE_OWNER_KEYS", ",");
        return _signSafeTx(p.safe, _safeTxHash(p.safe, address(p.timelock), 0, data), keys);
    }

    function _startBroadcast() internal {
        uint256 key = vm.envOr("DEPLOYER_PRIVATE_KEY", uint256(0));
        if (key != 0) vm.startBroadcast(key);
        else vm.startBroadcast();
    }
}
