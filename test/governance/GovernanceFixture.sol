// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {DeploySystem} from "../../script/DeploySystem.s.sol";
import {ISafe} from "../../script/lib/ISafe.sol";
import {SafeOps} from "../../script/lib/SafeOps.sol";
import {ILendingPool} from "../../src/interfaces/ILendingPool.sol";
import {ITraitPricer} from "../../src/interfaces/ITraitPricer.sol";
import {IValuationAdmin} from "../../src/interfaces/IValuationAdmin.sol";
import {DutchAuction} from "../../src/liquidation/DutchAuction.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {Test, Vm} from "forge-std/Test.sol";

/// @notice The whole system as `DeploySystem` deploys it (real Safe from its artifacts, bootstrapped timelock,
/// every proxy), plus helpers to act as the Safe: sign with a threshold of owner keys and execute.
abstract contract GovernanceFixture is Test, SafeOps {
    DeploySystem internal script;
    DeploySystem.Deployment internal d;
    DeploySystem.Config internal cfg;
    /// @dev Every log of the deployment, for role-membership replay.
    Vm.Log[] internal deployLogs;

    uint256[] internal ownerKeys;
    address[] internal owners;
    address internal reporter = makeAddr("reporter");
    address internal traitSigner = makeAddr("traitSigner");
    address internal stranger = makeAddr("stranger");

    TimelockController internal timelock;
    ISafe internal safe;
    ILendingPool internal pool;
    IValuationAdmin internal valuation;
    ITraitPricer internal pricer;
    DutchAuction internal auction;

    uint256 internal constant DELAY = 48 hours;

    function setUp() public virtual {
        for (uint256 i; i < 3; ++i) {
            (address a, uint256 k) = makeAddrAndKey(string.concat("owner", vm.toString(i)));
            owners.push(a);
            ownerKeys.push(k);
        }
        // A realistic clock: at timestamp 1 a zero-delay timelock operation would read as "done" (OZ marks done
        // operations with timestamp 1), which no real chain can reach.
        vm.warp(_clockStart());
        script = new DeploySystem();
        cfg = _config();
        vm.recordLogs();
        d = script.deploy(cfg, address(script));
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            deployLogs.push(logs[i]);
        }
        timelock = TimelockController(payable(d.timelock));
        safe = ISafe(d.safe);
        pool = ILendingPool(d.pool);
        valuation = IValuationAdmin(d.valuation);
        pricer = ITraitPricer(d.traitPricer);
        auction = DutchAuction(d.auction);
    }

    /// @dev The time the deployment happens at (a fork keeps its block's own time).
    function _clockStart() internal view virtual returns (uint256) {
        return 1_700_000_000;
    }

    function _config() internal view virtual returns (DeploySystem.Config memory c) {
        c.safeOwners = owners;
        c.safeThreshold = 2;
        c.reporter = reporter;
        c.traitSigner = traitSigner;
        c.feedUpdater = reporter;
        c.timelockDelay = DELAY;
        c.apesFloor = 30 ether;
        c.itemsFloor = 1.5 ether;
        c.debtCeiling = 1000 ether;
    }

    /// @dev Two of the three owner keys: the default threshold.
    function _twoKeys() internal view returns (uint256[] memory keys) {
        keys = new uint256[](2);
        keys[0] = ownerKeys[0];
        keys[1] = ownerKeys[2];
    }

    /// @dev The Safe calls `to` with `data` (signed by two owners, relayed by a stranger).
    function _safeCall(address to, bytes memory data) internal {
        uint256[] memory keys = _twoKeys();
        bytes memory sigs = _signSafeTx(safe, _safeTxHash(safe, to, 0, data), keys);
        vm.prank(stranger);
        safe.execTransaction(to, 0, data, 0, 0, 0, 0, address(0), payable(address(0)), sigs);
    }

    /// @dev The Safe schedules `target.call(data)` on the timelock with the minimum delay.
    function _propose(address target, bytes memory data, bytes32 salt) internal returns (bytes32 id) {
        _safeCall(address(timelock), abi.encodeCall(TimelockController.schedule, (target, 0, data, 0, salt, DELAY)));
        id = timelock.hashOperation(target, 0, data, 0, salt);
    }

    /// @dev The Safe executes a scheduled `target.call(data)`.
    function _executeProposal(address target, bytes memory data, bytes32 salt) internal {
        _safeCall(address(timelock), abi.encodeCall(TimelockController.execute, (target, 0, data, 0, salt)));
    }

    /// @dev Replays RoleGranted / RoleRevoked of the timelock: the accounts holding `role` at the end.
    function _roleHolders(bytes32 role) internal view returns (address[] memory holders) {
        bytes32 granted = keccak256("RoleGranted(bytes32,address,address)");
        bytes32 revoked = keccak256("RoleRevoked(bytes32,address,address)");
        address[] memory seen = new address[](deployLogs.length);
        bool[] memory has = new bool[](deployLogs.length);
        uint256 n;
        for (uint256 i; i < deployLogs.length; ++i) {
            Vm.Log memory l = deployLogs[i];
            if (l.emitter != d.timelock || l.topics.length < 3 || l.topics[1] != role) continue;
            if (l.topics[0] != granted && l.topics[0] != revoked) continue;
            address account = address(uint160(uint256(l.topics[2])));
            uint256 j;
            while (j < n && seen[j] != account) ++j;
            if (j == n) seen[n++] = account;
            has[j] = l.topics[0] == granted;
        }
        uint256 count;
        for (uint256 j; j < n; ++j) {
            if (has[j]) ++count;
        }
        holders = new address[](count);
        count = 0;
        for (uint256 j; j < n; ++j) {
            if (has[j]) holders[count++] = seen[j];
        }
    }
}
